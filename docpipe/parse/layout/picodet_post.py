"""rapid-layout's PicoDet post-processing (PPPostProcess), with the box distributions decoded
for the top-k anchors only. The package decodes every anchor of every stride (10,100 at
800x608: a softmax over 8 bins, four sides each) and then keeps the nms_top_k = 1000 best
scored; the softmax is per row, so decoding the kept rows alone gives the same numbers, for a
seventh of the work on the finest stride. It also copied the whole input tensor to float32 to
read its shape. Everything else is the package's own code path (its NMS, warp and scaling).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class TopkPostProcess:
    """Drop-in for rapid_layout's PPPostProcess: same arguments, same boxes, scores and labels."""

    def __init__(self, pre: Any) -> None:
        self._pp = pre  # the package's instance: labels, thresholds, hard_nms, warp_boxes, softmax

    def __call__(
        self, ori_shape: Any, img: np.ndarray, preds: list[np.ndarray]
    ) -> tuple[list[Any], list[float], list[str]]:
        pp = self._pp
        n = len(preds) // 2
        scores, raw_boxes = preds[:n], preds[n:]
        reg_max = int(raw_boxes[0].shape[-1] / 4 - 1)
        in_h, in_w = img.shape[2], img.shape[3]
        # img_info's figures, without its float32 copy of the input
        scale = np.array(((in_h / float(ori_shape[0]), in_w / float(ori_shape[1])),), dtype=np.float32)
        img_shape = np.array(((float(in_h), float(in_w)),), dtype=np.float32)
        out: list[np.ndarray] = []
        for b in range(raw_boxes[0].shape[0]):
            boxes, picked_scores = [], []
            for stride, dist, score in zip(pp.strides, raw_boxes, scores, strict=False):
                dist, score = dist[b], score[b]
                ww, hh = np.meshgrid(np.arange(in_w / stride), np.arange(in_h / stride))
                ct_row = (hh.flatten() + 0.5) * stride
                ct_col = (ww.flatten() + 0.5) * stride
                top = np.argsort(score.max(axis=1))[::-1][: pp.nms_top_k]
                center = np.stack((ct_col, ct_row, ct_col, ct_row), axis=1)[top]
                d = pp.softmax(dist[top].reshape((-1, reg_max + 1)), axis=1)
                d = np.sum(d * np.expand_dims(np.arange(reg_max + 1), axis=0), axis=1).reshape((-1, 4)) * stride
                boxes.append(center + [-1, -1, 1, 1] * d)
                picked_scores.append(score[top])
            bboxes, conf = np.concatenate(boxes, axis=0), np.concatenate(picked_scores, axis=0)
            probs_list, labels = [], []
            for cls in range(conf.shape[1]):
                probs = conf[:, cls]
                mask = probs > pp.conf_thres
                probs = probs[mask]
                if probs.shape[0] == 0:
                    continue
                kept = pp.hard_nms(
                    np.concatenate([bboxes[mask, :], probs.reshape(-1, 1)], axis=1),
                    iou_thres=pp.iou_thres,
                    top_k=pp.keep_top_k,
                )
                probs_list.append(kept)
                labels.extend([cls] * kept.shape[0])
            if not probs_list:
                continue
            p = np.concatenate(probs_list)
            p[:, :4] = pp.warp_boxes(p[:, :4], img_shape[b])
            p[:, :4] /= np.concatenate([scale[b][::-1], scale[b][::-1]])
            out.append(np.concatenate([np.array(labels)[:, None], p[:, 4:5], p[:, :4]], axis=1))
        rows = np.concatenate(out, axis=0) if out else np.empty((0, 6))
        return (
            [dt[2:].tolist() for dt in rows],
            [float(dt[1]) for dt in rows],
            [pp.labels[int(dt[0])] for dt in rows],
        )
