"""The catalog: models as data (``catalog.toml``), request validation and prices."""

from studio402.catalog.loader import Catalog, validate_body
from studio402.catalog.models import FieldSpec, Model, Operation, Price

__all__ = ["Catalog", "FieldSpec", "Model", "Operation", "Price", "validate_body"]
