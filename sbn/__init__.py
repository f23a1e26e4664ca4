"""sbn: plan requests over smart business networks."""

__version__ = "0.1.0"
