"""Domain exceptions. Each message is one line that names the file or value at fault."""


class AtlasError(Exception):
    """Base class: the CLI turns these into a one-line error and exit code 1."""


class SourceError(AtlasError):
    """A source folder or document is missing, unreadable or not a plan text."""


class ExtractError(AtlasError):
    """The structure or a curation rule does not match the text."""


class GazetteerError(AtlasError):
    """A gazetteer file under geodata/ is missing or malformed."""


class GeocodeError(AtlasError):
    """A mention cannot be geocoded for a reason that is a defect, not a gap."""


class LayerError(AtlasError):
    """A layer fails its schema, or a GeoPackage cannot be read or written."""
