"""Campaigns: reading spreadsheets, validating rows, sampling, running, exporting."""
