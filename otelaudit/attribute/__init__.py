"""Attribution: which distribution owns a frame (ownership), where sampled time goes
(hotspots, scaled to the measured overhead) and the differential flame graph."""
