"""An independent numpy LeNet5: forward and hand-derived backward with einsum/slicing only.

Shares no code with minispore's kernels, so it can check their composition end to end.
"""
import numpy as np


def _windows(x, k):
    """(N, C, H, W) -> (N, C, k, k, H-k+1, W-k+1) views of every k x k patch (stride 1)."""
    n, c, h, w = x.shape
    oh, ow = h - k + 1, w - k + 1
    out = np.empty((n, c, k, k, oh, ow), x.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i, j] = x[:, :, i:i + oh, j:j + ow]
    return out


def conv(x, w):
    return np.einsum("ncijhw,ocij->nohw", _windows(x, w.shape[2]), w)


def conv_grads(x, w, dy):
    k = w.shape[2]
    dw = np.einsum("ncijhw,nohw->ocij", _windows(x, k), dy)
    dcols = np.einsum("nohw,ocij->ncijhw", dy, w)
    dx = np.zeros_like(x)
    oh, ow = dy.shape[2:]
    for i in range(k):
        for j in range(k):
            dx[:, :, i:i + oh, j:j + ow] += dcols[:, :, i, j]
    return dx, dw


def pool(x):
    """2x2/2 max pool; the mask marks the first maximum of each window (row-major)."""
    n, c, h, w = x.shape
    win = x.reshape(n, c, h // 2, 2, w // 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(
        n, c, h // 2, w // 2, 4)
    first = win.argmax(axis=4)
    return win.max(axis=4), first


def pool_grad(first, dy):
    n, c, h2, w2 = dy.shape
    g = np.zeros((n, c, h2, w2, 4), dy.dtype)
    np.put_along_axis(g, first[..., None], dy[..., None], axis=4)
    return g.reshape(n, c, h2, w2, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, c, 2 * h2, 2 * w2)


def forward_backward(params, x, labels):
    """Mean sparse softmax cross-entropy loss and its gradients for LeNet5 parameters."""
    p = params
    a1 = conv(x, p["conv1.weight"]); r1 = np.maximum(a1, 0); m1, k1 = pool(r1)
    a2 = conv(m1, p["conv2.weight"]); r2 = np.maximum(a2, 0); m2, k2 = pool(r2)
    f = m2.reshape(len(x), -1)
    z1 = f @ p["fc1.weight"].T + p["fc1.bias"]; h1 = np.maximum(z1, 0)
    z2 = h1 @ p["fc2.weight"].T + p["fc2.bias"]; h2 = np.maximum(z2, 0)
    z3 = h2 @ p["fc3.weight"].T + p["fc3.bias"]
    s = z3 - z3.max(axis=1, keepdims=True)
    lse = np.log(np.exp(s).sum(axis=1))
    n = len(x)
    loss = np.mean(lse - s[np.arange(n), labels])
    dz3 = np.exp(s - lse[:, None]); dz3[np.arange(n), labels] -= 1; dz3 /= n
    g = {"fc3.weight": dz3.T @ h2, "fc3.bias": dz3.sum(0)}
    dz2 = (dz3 @ p["fc3.weight"]) * (z2 > 0)
    g["fc2.weight"], g["fc2.bias"] = dz2.T @ h1, dz2.sum(0)
    dz1 = (dz2 @ p["fc2.weight"]) * (z1 > 0)
    g["fc1.weight"], g["fc1.bias"] = dz1.T @ f, dz1.sum(0)
    dm2 = (dz1 @ p["fc1.weight"]).reshape(m2.shape)
    da2 = pool_grad(k2, dm2) * (a2 > 0)
    dm1, g["conv2.weight"] = conv_grads(m1, p["conv2.weight"], da2)
    da1 = pool_grad(k1, dm1) * (a1 > 0)
    _, g["conv1.weight"] = conv_grads(x, p["conv1.weight"], da1)
    return loss, g, z3
