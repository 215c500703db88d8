"""What-if verification: the suggested fix applied in the sdk arm, interleaved with a
control, and the measured saving recorded on the finding."""
