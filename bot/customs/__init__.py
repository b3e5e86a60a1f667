"""Customs by destination: "Will I have to pay import tax?" answered for the buyer's country.

`facts.py` reads the data file an admin maintains (`replies/customs.yaml`), `setup.py` the
shop's registrations and DDP destinations (`customs:` in kefu.yaml), `countries.py` finds the
buyer's country, and `answer.py` turns the three into the lines of the answer, which
`decide()` chooses like any other.
"""
