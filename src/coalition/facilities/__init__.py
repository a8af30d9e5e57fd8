"""Shared facilities: the catalogue of test facilities and laboratories, and their bookings."""
