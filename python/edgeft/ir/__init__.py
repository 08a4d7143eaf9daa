"""The IR layer below every other part of edgeft: the names of edgeft's
attributes and their accessors (`attrs`), sizes of types (`types`) and
small queries over the bindings' IR (`queries`). It imports nothing of
edgeft but the dialect facts it names."""
