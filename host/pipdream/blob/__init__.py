"""The versioned binary model format: constants, writer, reader, C exports."""

from pipdream.blob.model import QLayer, QModel
from pipdream.blob.reader import BlobError, check_die, load, load_die, read_file
from pipdream.blob.writer import pack

__all__ = ["BlobError", "QLayer", "QModel", "check_die", "load", "load_die", "pack", "read_file"]
