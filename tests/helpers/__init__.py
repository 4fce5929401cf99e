"""Plain functions many test modules share (fixtures live in plugins: tests/pipeline.py,
tests/fakes/fixtures.py, tests/browser.py, tests/s3.py, and tests/conftest.py).

jobs: requesting renders, waiting for them, reading their timelines; settling: waiting until
nothing else is in flight; callbacks: delivering provider callbacks by hand; ledger and
credit_ledger: ledger rows; admin_forms and studio: forms and library rows; render_inputs:
what a provider client is asked; shares: an approved render with its media, shared; stub_server:
a server that answers as told; videos: MP4s for servers to hand out; spreadsheets: CSV,
Excel Unicode text and XLSX files to upload; ports, waiting, browser_login.
"""
