"""Metric series, capacity forecasts, anomaly detection and scaling recommendations."""
