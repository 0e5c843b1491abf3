"""Meria visits: incoming delegations and foreign visits, partners, agreements
and international projects.
"""
