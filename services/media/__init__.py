"""Meria media: outlets and journalists, accreditation, press distribution,
media monitoring and the media library.
"""
