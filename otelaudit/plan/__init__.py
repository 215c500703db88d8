"""Planning: scan options, phase sizes from the calibrated cost of one operation, the one
interleave function and round player every A/B loop uses, adaptive stopping, sharding."""
