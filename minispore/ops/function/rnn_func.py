"""One direction of one recurrent layer (RNN, GRU, LSTM gates) over a whole sequence, with its
backward through time: the building block of ``nn.RNN``, ``nn.GRU`` and ``nn.LSTM``."""
import numpy as np

from .._blas import matmul as _matmul
from .._function import Function
from .activation_func import _sigmoid

__all__ = []


class RNNLayer(Function):
    """One direction of one recurrent layer over a whole sequence (the building block of
    ``nn.RNN``, ``nn.GRU``, ``nn.LSTM``), with PyTorch's and MindSpore's gate layout:
    ``x`` (T, B, I), ``h0`` (B, H), ``c0`` (B, H) (LSTM only), ``w_ih`` (G*H, I),
    ``w_hh`` (G*H, H), ``b_ih``/``b_hh`` (G*H,). ``mode``: 'LSTM' (gates i, f, g, o),
    'GRU' (r, z, n; n = tanh(x_n + r * (h W_hn + b_hn))), 'RNN_TANH', 'RNN_RELU'.
    ``reverse`` runs from the last step to the first (output stays in input order).
    Returns (y (T, B, H), h_T) and c_T for LSTM. The input projection of all steps is one
    GEMM; each step is one (B, H) x (H, G*H) GEMM; backward is backpropagation through time.
    No public functional name (MindSpore has none); the layers call it."""
    GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}

    @classmethod
    def check(cls, x, h0, c0, w_ih, w_hh, b_ih, b_hh, mode, reverse):
        return tuple(t for t in (x, h0, c0, w_ih, w_hh, b_ih, b_hh) if t is not None), \
            {"mode": mode, "reverse": bool(reverse), "has_c": c0 is not None,
             "has_bias": b_ih is not None}

    def forward(self, *arrays, mode, reverse, has_c, has_bias):
        arrays = list(arrays)
        x, h = arrays.pop(0), arrays.pop(0)
        c = arrays.pop(0) if has_c else None
        w_ih, w_hh = arrays[0], arrays[1]
        T, B, _ = x.shape
        H = w_hh.shape[1]
        dt = x.dtype
        xw = _matmul(np.ascontiguousarray(x).reshape(T * B, -1), w_ih.T).reshape(T, B, -1)
        bias_hh = None
        if has_bias:
            xw += arrays[2]
            if mode == "GRU":
                bias_hh = arrays[3]  # stays inside r * (h W_hn + b_hn)
            else:
                xw += arrays[3]
        steps = range(T - 1, -1, -1) if reverse else range(T)
        y = np.empty((T, B, H), dt)
        saved = []
        for t in steps:
            gh = _matmul(h, w_hh.T)
            if bias_hh is not None:
                gh = gh + bias_hh
            g = xw[t]
            if mode == "LSTM":
                a = g + gh
                i, f = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H])
                gg, o = np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
                c_new = f * c + i * gg
                tc = np.tanh(c_new)
                h_new = o * tc
                saved.append((h, c, i, f, gg, o, tc))
                c = c_new
            elif mode == "GRU":
                r = _sigmoid(g[:, :H] + gh[:, :H])
                z = _sigmoid(g[:, H:2 * H] + gh[:, H:2 * H])
                n = np.tanh(g[:, 2 * H:] + r * gh[:, 2 * H:])
                h_new = (1 - z) * n + z * h
                saved.append((h, r, z, n, gh[:, 2 * H:]))
            else:
                a = g + gh
                h_new = np.tanh(a) if mode == "RNN_TANH" else np.maximum(a, 0)
                saved.append((h, h_new))
            y[t] = h_new
            h = h_new
        self.x, self.w_ih, self.w_hh, self.saved = x, w_ih, w_hh, saved
        self.mode, self.steps, self.has_c, self.has_bias = mode, list(steps), has_c, has_bias
        return (y, h, c) if has_c else (y, h)

    def backward(self, dy, dh_last, dc_last=None):
        mode, H, T = self.mode, self.w_hh.shape[1], self.x.shape[0]
        dxw = np.empty((T,) + dh_last.shape[:1] + (self.w_hh.shape[0],), dy.dtype)
        dw_hh = np.zeros_like(self.w_hh)
        db_hh = np.zeros(self.w_hh.shape[0], dy.dtype) if mode == "GRU" else None
        dh = dh_last.copy()
        dc = dc_last.copy() if self.has_c else None
        for t, saved in zip(reversed(self.steps), reversed(self.saved)):
            dh = dh + dy[t]
            if mode == "LSTM":
                h_prev, c_prev, i, f, gg, o, tc = saved
                do = dh * tc
                dc = dc + dh * o * (1 - tc * tc)
                dg = np.concatenate([dc * gg * i * (1 - i), dc * c_prev * f * (1 - f),
                                     dc * i * (1 - gg * gg), do * o * (1 - o)], axis=1)
                dc = dc * f
                dgh = dg
                dh_direct = 0
            elif mode == "GRU":
                h_prev, r, z, n, gh_n = saved
                dan = dh * (1 - z) * (1 - n * n)
                dar = dan * gh_n * r * (1 - r)
                daz = dh * (h_prev - n) * z * (1 - z)
                dg = np.concatenate([dar, daz, dan], axis=1)
                dgh = np.concatenate([dar, daz, dan * r], axis=1)
                db_hh += dgh.sum(axis=0)
                dh_direct = dh * z
            else:
                h_prev, h_new = saved
                dg = dh * (1 - h_new * h_new) if mode == "RNN_TANH" else dh * (h_new > 0)
                dgh = dg
                dh_direct = 0
            dxw[t] = dg
            dw_hh += _matmul(dgh.T, h_prev)
            dh = dh_direct + _matmul(dgh, self.w_hh)
        flat = dxw.reshape(-1, dxw.shape[2])
        dx = _matmul(flat, self.w_ih).reshape(self.x.shape)
        dw_ih = _matmul(flat.T, np.ascontiguousarray(self.x).reshape(flat.shape[0], -1))
        grads = [dx, dh] + ([dc] if self.has_c else []) + [dw_ih, dw_hh]
        if self.has_bias:
            db_ih = flat.sum(axis=0)
            grads += [db_ih, db_hh if mode == "GRU" else db_ih.copy()]
        return tuple(g if need else None for g, need in zip(grads, self.needs))
