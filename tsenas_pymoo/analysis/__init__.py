"""The statistics the studies use (the ``bench`` extra: scipy): comparing methods over
seeds (:mod:`.comparison`), how well a fitness ranks full training (:mod:`.fidelity`),
what inheritance saves in scratch epochs (:mod:`.savings`) and the resumable campaign
runner (:mod:`.campaign`). Nothing in the search imports them."""
