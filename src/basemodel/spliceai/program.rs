//! Running a loaded network over one tile: every node is computed only over the positions that
//! later nodes still need (the range shrinks by each convolution's radius on the way to the
//! output), buffers are recycled as soon as their last reader has run, and element-wise nodes
//! work in place when nothing else reads their input.

use super::conv::Conv;
use super::keras::{Network, Node, Op};

/// Half-width of the input each node must cover for the output to cover the tile: `reach[0]` is
/// the context the whole network needs.
pub fn extents(nodes: &[Node]) -> Vec<usize> {
    let mut e = vec![0usize; nodes.len()];
    for i in (0..nodes.len()).rev() {
        let r = match &nodes[i].op {
            Op::Conv { conv, .. } | Op::Head { conv } => conv.radius(),
            _ => 0,
        };
        for &j in &nodes[i].inputs {
            e[j] = e[j].max(e[i] + r);
        }
    }
    e
}

/// The context the output needs on each side (the input node's extent).
pub fn reach(nodes: &[Node]) -> usize {
    extents(nodes).first().copied().unwrap_or(0)
}

/// Activations over positions `first..` of the tile (negative = flank), `width` per position.
struct Act {
    data: Vec<f32>,
    width: usize,
    first: isize,
}

impl Act {
    /// Rows for positions `from..from + n`.
    fn rows(&self, from: isize, n: usize) -> &[f32] {
        let r = (from - self.first) as usize;
        &self.data[r * self.width..(r + n) * self.width]
    }

    fn rows_mut(&mut self, from: isize, n: usize) -> &mut [f32] {
        let r = (from - self.first) as usize;
        &mut self.data[r * self.width..(r + n) * self.width]
    }
}

/// Reusable buffers of one scoring thread; their number and size are bounded by the network
/// and the tile length, not by the gene.
#[derive(Default)]
pub struct Scratch {
    free: Vec<Vec<f32>>,
}

impl Scratch {
    fn take(&mut self, len: usize) -> Vec<f32> {
        let mut v = match self.free.iter().position(|b| b.capacity() >= len) {
            Some(i) => self.free.swap_remove(i),
            None => self.free.pop().unwrap_or_default(),
        };
        v.clear();
        v.resize(len, 0.0);
        v
    }

    fn give(&mut self, v: Vec<f32>) {
        self.free.push(v);
    }
}

/// Runs `net` on a tile of `n` output positions. `onehot` holds `n + 2·context` rows of 4
/// channels (the tile and its flanks); `out` receives `n` rows of the 3 class probabilities
/// (neither, acceptor, donor).
pub fn run(
    net: &Network,
    ext: &[usize],
    onehot: &[f32],
    n: usize,
    out: &mut [f32],
    s: &mut Scratch,
) {
    let nodes = &net.nodes;
    let mut reads: Vec<usize> = vec![0; nodes.len()];
    for node in nodes {
        for &j in &node.inputs {
            reads[j] += 1;
        }
    }
    let mut vals: Vec<Option<Act>> = (0..nodes.len()).map(|_| None).collect();
    let last = nodes.len() - 1;
    for (i, node) in nodes.iter().enumerate() {
        let e = ext[i] as isize;
        let len = n + 2 * ext[i];
        let value = match &node.op {
            Op::Input { channels } => {
                let mut data = s.take(len * channels);
                let skip = (net.context - ext[i]) * channels;
                data.copy_from_slice(&onehot[skip..skip + len * channels]);
                Act {
                    data,
                    width: *channels,
                    first: -e,
                }
            }
            Op::Conv { conv, relu } => {
                let x = input(&vals, node, 0);
                let mut data = s.take(len * conv.c_out);
                conv.run(
                    x.rows(-e - conv.radius() as isize, len + 2 * conv.radius()),
                    len,
                    &mut data,
                );
                if *relu {
                    data.iter_mut().for_each(|v| *v = v.max(0.0));
                }
                Act {
                    data,
                    width: conv.c_out,
                    first: -e,
                }
            }
            Op::Head { conv } => {
                let x = input(&vals, node, 0);
                head(conv, x.rows(-e, len), len, out);
                break;
            }
            Op::Affine { .. } | Op::Relu | Op::Add | Op::Crop { .. } => {
                elementwise(node, &mut vals, &mut reads, -e, len, s)
            }
        };
        // Inputs whose last reader this was go back to the pool (in-place nodes took theirs).
        for &j in &node.inputs {
            reads[j] -= 1;
            if reads[j] == 0
                && let Some(a) = vals[j].take()
            {
                s.give(a.data);
            }
        }
        if i != last {
            vals[i] = Some(value);
        }
    }
    for a in vals.into_iter().flatten() {
        s.give(a.data);
    }
}

fn input<'a>(vals: &'a [Option<Act>], node: &Node, k: usize) -> &'a Act {
    vals[node.inputs[k]]
        .as_ref()
        .expect("inputs are computed before their readers and kept until their last read")
}

/// Affine, ReLU, Add and Crop: in place on the first input when this node is its last reader.
fn elementwise(
    node: &Node,
    vals: &mut [Option<Act>],
    reads: &mut [usize],
    from: isize,
    len: usize,
    s: &mut Scratch,
) -> Act {
    let src = node.inputs[0];
    let mut acc = if reads[src] == 1 {
        // Taken: the release loop in `run` finds nothing left to free for it.
        vals[src].take().expect("input present")
    } else {
        let x = input(vals, node, 0);
        let mut data = s.take(len * x.width);
        data.copy_from_slice(x.rows(from, len));
        Act {
            data,
            width: x.width,
            first: from,
        }
    };
    let width = acc.width;
    let rows = acc.rows_mut(from, len);
    match &node.op {
        Op::Affine { scale, shift, relu } => {
            for row in rows.chunks_exact_mut(width) {
                for ((v, a), b) in row.iter_mut().zip(scale).zip(shift) {
                    *v = v.mul_add(*a, *b);
                    if *relu {
                        *v = v.max(0.0);
                    }
                }
            }
        }
        Op::Relu => rows.iter_mut().for_each(|v| *v = v.max(0.0)),
        Op::Add => {
            for &j in &node.inputs[1..] {
                let other = vals[j].as_ref().expect("input present");
                for (v, o) in rows.iter_mut().zip(other.rows(from, len)) {
                    *v += o;
                }
            }
        }
        _ => {}
    }
    acc
}

/// The 1×1 output convolution and a softmax, straight into `out`.
fn head(conv: &Conv, x: &[f32], n: usize, out: &mut [f32]) {
    let c = conv.c_out;
    let mut logits = vec![0.0f32; n * c];
    conv.run(x, n, &mut logits);
    for (o, l) in out.chunks_exact_mut(c).zip(logits.chunks_exact(c)) {
        let m = l.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for (o, &v) in o.iter_mut().zip(l) {
            *o = (v - m).exp();
            sum += *o;
        }
        for o in o.iter_mut() {
            *o /= sum;
        }
    }
}
