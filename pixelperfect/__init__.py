"""PixelPerfect: is this face photo usable, and if not, what is wrong and how to fix it."""

__version__ = "0.1.0"
__all__ = ["Analyzer", "ImageError", "Report"]


def __getattr__(name):
    # Imported on first use, so `degrade.py` and the measures do not pay for torch and transformers.
    if name in ("Analyzer", "Report"):
        from . import analysis

        return getattr(analysis, name)
    if name == "ImageError":
        from .images import ImageError

        return ImageError
    raise AttributeError(f"module 'pixelperfect' has no attribute {name!r}")
