"""Fast dumps of marshmallow schemas, compiled once from the schemas themselves (see `compiler`)."""

from app.serialization.compiler import compile_schema, dump, dump_many, dumper

__all__ = ["compile_schema", "dump", "dump_many", "dumper"]
