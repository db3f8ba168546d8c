"""Judging's rules that change state, one module per topic (the same names as forms/ and views/)."""
