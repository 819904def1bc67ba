"""The benchmarks' municipality: the demo one, with paths into this source tree.

Each bench script starts from demo_config() and changes what it measures.
"""
import json


def demo_config(root, completable=True):
    """config/demo/municipality.json with the address table, workflow and letter
    templates of `root`; with `completable`, no manual cases (every letter can be
    approved and every case complete)."""
    cfg = json.load(open(root + "/config/demo/municipality.json"))
    cfg["address_table"] = root + "/config/demo/addresses.csv"
    cfg["workflow"]["definition"] = root + "/workflows/enrolment.scxml"
    cfg["letters"]["templates"] = root + "/workflows/letters"
    if completable:
        shares = cfg["extract_generator"]["shares"]
        for k in list(shares):
            if k not in ("one_guardian", "guardians_apart", "twins", "shared_residence", "with_history"):
                shares[k] = 0
    return cfg
