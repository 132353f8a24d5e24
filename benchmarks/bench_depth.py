"""Depth node backend speed: Depth Anything V2 through auglift_ros.perception.depth, per image.

With --model, times that ONNX file (a real download). Without, builds the Depth Anything V2 *small*
architecture (DINOv2-S backbone, DPT head, 24.8M parameters) with random weights through
`transformers` and exports it to ONNX with dynamic height and width: the speed is the architecture's,
the output meaningless. That needs `transformers` (not a package dependency):
`pip install "transformers<5" "huggingface_hub<1"` in a scratch environment on PYTHONPATH.

Prints the median time of `DepthAnythingV2Onnx.estimate` (resize, normalise, ONNX run, resize back,
metric conversion) per network input size, over several calls on a 640x480 photograph.

    .venv/bin/python benchmarks/bench_depth.py [--model PATH] [--sizes 266 518] [--calls 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import matplotlib.cbook
import matplotlib.image
import numpy as np

from auglift_ros.perception.depth import DepthAnythingV2Onnx


def export_random_small_model(path: Path) -> Path:
    """Depth Anything V2 small (relative head) with random weights, exported with dynamic H and W."""
    import torch
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config

    backbone = Dinov2Config(
        hidden_size=384,
        num_hidden_layers=12,
        num_attention_heads=6,
        patch_size=14,
        image_size=518,
        out_features=["stage3", "stage6", "stage9", "stage12"],
        reshape_hidden_states=False,
    )
    config = DepthAnythingConfig(
        backbone_config=backbone,
        neck_hidden_sizes=[48, 96, 192, 384],
        reassemble_hidden_size=384,
        fusion_hidden_size=64,
        head_hidden_size=32,
    )

    class ImageToDepth(torch.nn.Module):
        """The (1, 3, H, W) -> (1, H, W) interface of the released ONNX exports."""

        def __init__(self) -> None:
            super().__init__()
            self.network = DepthAnythingForDepthEstimation(config).eval()

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            return self.network(pixel_values=image).predicted_depth

    torch.onnx.export(
        ImageToDepth().eval(),
        (torch.zeros(1, 3, 266, 350),),
        str(path),
        input_names=["image"],
        output_names=["depth"],
        dynamic_axes={"image": {2: "height", 3: "width"}, "depth": {1: "height", 2: "width"}},
        opset_version=17,
        dynamo=False,
    )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, help="a Depth Anything V2 ONNX file (default: random small)")
    parser.add_argument("--kind", default="relative", choices=("metric", "relative"))
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[266, 518], help="input sizes (multiples of 14)"
    )
    parser.add_argument("--calls", type=int, default=5)
    args = parser.parse_args()

    photo = matplotlib.image.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    image = np.ascontiguousarray(cv2.resize(photo, (640, 480), interpolation=cv2.INTER_AREA))
    with tempfile.TemporaryDirectory() as scratch:
        model = args.model or export_random_small_model(Path(scratch) / "depth_anything_v2_small.onnx")
        print(f"model {model.name} ({model.stat().st_size / 1e6:.0f} MB), image 640x480, {args.calls} calls")
        for size in args.sizes:
            estimator = DepthAnythingV2Onnx(model, kind=args.kind, input_size=size)
            network_hw = estimator.network_input(image).shape[2:]
            estimator.estimate(image)  # warm-up
            times = []
            for _ in range(args.calls):
                start = time.perf_counter()
                estimator.estimate(image)
                times.append(time.perf_counter() - start)
            ms = 1000 * np.array(times)
            print(
                f"input {size:4d} (network {network_hw[0]}x{network_hw[1]}): median {np.median(ms):7.1f} ms "
                f"(min {ms.min():.1f}, max {ms.max():.1f}) = {1000 / np.median(ms):.1f} images/s"
            )


if __name__ == "__main__":
    main()
