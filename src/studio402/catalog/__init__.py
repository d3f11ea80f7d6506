"""The catalog: models as data (``catalog.toml``), request validation and prices."""

from studio402.catalog.loader import Catalog
from studio402.catalog.models import FieldSpec, Model, Operation
from studio402.catalog.pricing import Price
from studio402.catalog.validation import validate_body

__all__ = ["Catalog", "FieldSpec", "Model", "Operation", "Price", "validate_body"]
