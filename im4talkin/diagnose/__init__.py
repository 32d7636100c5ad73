"""Checks of the install, each safe to crash: ``im4talkin doctor``."""
