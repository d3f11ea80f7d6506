"""HTTP only: routes translate requests to domain calls and domain errors to responses."""
