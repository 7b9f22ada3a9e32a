"""`evaltop report`: one section per area, assembled in build.py."""
