"""What operators see of a running Avatar Studio: health, structured logs and metrics."""
