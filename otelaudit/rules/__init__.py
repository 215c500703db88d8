"""Rules with stable ids (OA1xx scan, OA2xx cold start) that turn evidence into findings,
and the patches they suggest."""
