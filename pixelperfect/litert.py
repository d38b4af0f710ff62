"""The face models (`sources.FACE_MODEL_FILES`: MediaPipe's and the expression classifier) on Google's LiteRT
interpreter (`ai-edge-litert`), one interpreter per model and thread, made on first use."""

from __future__ import annotations

import threading

import numpy as np

from .sources import face_model_folder

_per_thread = threading.local()  # a LiteRT interpreter must not be shared between threads
# Two threads per interpreter: 0.65 instead of 1.06 ms for short range and 0.68 instead of 1.18 ms for Face Mesh
# on this 2-core machine.
THREADS = 2


def _interpreter(file: str):
    interpreters = _per_thread.__dict__.setdefault("interpreters", {})
    if file not in interpreters:
        from ai_edge_litert.interpreter import Interpreter

        interpreter = Interpreter(model_path=str(face_model_folder() / file), num_threads=THREADS)
        interpreter.allocate_tensors()
        interpreters[file] = (interpreter, interpreter.get_input_details()[0]["index"],
                              [output["index"] for output in interpreter.get_output_details()])
    return interpreters[file]


def run_model(file: str, tensor: np.ndarray) -> list[np.ndarray]:
    """One face model on one input; its outputs, without the batch axis."""
    interpreter, input_index, output_indices = _interpreter(file)
    interpreter.set_tensor(input_index, tensor[np.newaxis])
    interpreter.invoke()
    return [interpreter.get_tensor(index)[0] for index in output_indices]
