"""Meria events: official events, press conferences and meetings with foundations
and NGOs; venues and calendars.
"""
