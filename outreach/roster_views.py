"""Roster import screens (placeholder wiring; implemented with the import issue work)."""
