"""Good Practice Catalogue: harvest public-sector good practices into an RDF
store, index them for full text and SPARQL, and serve them as a site, a JSON
API and linked data."""

__version__ = "0.1.0"
