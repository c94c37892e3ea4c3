"""Residents, visits, errands and complaints (built on the territory in ``grid``)."""
