"""Northeast China Project Atlas: plan text -> projects -> offline geocoding -> layers -> map."""

__version__ = "0.1.0"
