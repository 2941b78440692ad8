"""An independent reader of `GET /openapi.json`: validates the document in
the file given as the argument against the OpenAPI 3.1 schema
(openapi-spec-validator), exiting non-zero with the reason if it is invalid."""

import json
import sys

from openapi_spec_validator import validate

with open(sys.argv[1], encoding="utf-8") as file:
    document = json.load(file)
validate(document)
print(f"valid OpenAPI {document['openapi']}: {len(document['paths'])} paths")
