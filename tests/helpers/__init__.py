"""What many test modules share: servers that stand in for the outside world, and waiting."""
