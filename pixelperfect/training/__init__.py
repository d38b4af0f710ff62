"""The training wing: how the dataset and the models are made, measured and published.

Recipes for each defect (`degradations`), the dataset builder (`dataset`), what `train.py` needs (`tasks`,
`backbones`, `metrics/`), evaluation and model cards, the bars' calibration fitting and publishing to the Hub.
It imports the runtime (`pixelperfect`); the runtime never imports it, so a Space installs only `requirements.txt`.
"""
