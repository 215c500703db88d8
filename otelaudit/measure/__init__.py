"""Statistics of measured runs: per-arm summaries, paired comparisons with distribution-free
intervals, the A/A noise floor, instruction counts, and the assessment of one scenario."""
