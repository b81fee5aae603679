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
pub(super) struct Act {
    pub(super) data: Vec<f32>,
    pub(super) width: usize,
    pub(super) first: isize,
}

impl Act {
    /// Rows for positions `from..from + n`.
    pub(super) fn rows(&self, from: isize, n: usize) -> &[f32] {
        let r = (from - self.first) as usize;
        &self.data[r * self.width..(r + n) * self.width]
    }

    pub(super) fn rows_mut(&mut self, from: isize, n: usize) -> &mut [f32] {
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
    pub(super) fn take(&mut self, len: usize) -> Vec<f32> {
        // The smallest buffer that fits (a large one kept for a small need would stay large).
        let fit = (self.free.iter().enumerate())
            .filter(|(_, b)| b.capacity() >= len)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i);
        let mut v = match fit {
            Some(i) => self.free.swap_remove(i),
            None => self.free.pop().unwrap_or_default(),
        };
        v.clear();
        v.resize(len, 0.0);
        v
    }

    pub(super) fn give(&mut self, v: Vec<f32>) {
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
    run_changes(net, ext, onehot, n, &[], out, &mut [], s);
}

/// One base of the tile changed: a single-nucleotide variant on top of the reference window.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The changed base, in output coordinates (0 = the tile's first output; flank bases are
    /// negative or ≥ `n`).
    pub at: isize,
    /// Its one-hot row (all zeros for N).
    pub row: [f32; 4],
    /// The outputs wanted with the change applied (a sub-range of `0..n`).
    pub outputs: std::ops::Range<usize>,
}

/// How far each node's values can differ from the reference around one changed input base:
/// every convolution widens the difference by its radius, element-wise nodes keep it.
fn spread(nodes: &[Node]) -> Vec<usize> {
    let mut c = vec![0usize; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        let r = match &node.op {
            Op::Conv { conv, .. } | Op::Head { conv } => conv.radius(),
            _ => 0,
        };
        c[i] = node.inputs.iter().map(|&j| c[j]).max().unwrap_or(0) + r;
    }
    c
}

/// Runs `net` on the reference tile (as [`run`], into `out`) and, for each change, only the
/// positions whose values differ from the reference and that the change's outputs still need
/// (the cone: it widens from the changed base by each convolution's radius while the range the
/// outputs need narrows towards them). `alt[k]` receives `changes[k].outputs.len()` rows of
/// the 3 class probabilities with change `k` applied: exactly the values a full pass over the
/// changed tile gives, to the bit, because every value is computed by the same code in the same
/// order wherever it lies.
#[allow(clippy::too_many_arguments)]
pub fn run_changes(
    net: &Network,
    ext: &[usize],
    onehot: &[f32],
    n: usize,
    changes: &[Change],
    out: &mut [f32],
    alt: &mut [Vec<f32>],
    s: &mut Scratch,
) {
    let nodes = &net.nodes;
    let mut reads: Vec<usize> = vec![0; nodes.len()];
    for node in nodes {
        for &j in &node.inputs {
            reads[j] += 1;
        }
    }
    let spread = if changes.is_empty() {
        Vec::new()
    } else {
        spread(nodes)
    };
    let mut vals: Vec<Option<Act>> = (0..nodes.len()).map(|_| None).collect();
    // The changes' patches: values over the positions where they differ and are needed.
    let mut patches: Vec<Vec<Option<Act>>> = changes
        .iter()
        .map(|_| (0..nodes.len()).map(|_| None).collect())
        .collect();
    let last = nodes.len() - 1;
    for (i, node) in nodes.iter().enumerate() {
        let e = ext[i] as isize;
        let len = n + 2 * ext[i];
        if !matches!(node.op, Op::Head { .. }) {
            // Before the reference value: element-wise nodes may take their input's buffer.
            for (k, change) in changes.iter().enumerate() {
                patches[k][i] = patch(node, ext[i], spread[i], change, &vals, &patches[k], s);
            }
        }
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
                for (k, change) in changes.iter().enumerate() {
                    let o = &change.outputs;
                    let a = &mut alt[k];
                    a.clear();
                    a.extend_from_slice(&out[o.start * 3..o.end * 3]);
                    let (lo, hi) = cone(change, spread[i], ext[i]);
                    if lo < hi {
                        let m = (hi - lo) as usize;
                        let j = node.inputs[0];
                        let x = value_rows(input(&vals, node, 0), patches[k][j].as_ref(), lo, m, s);
                        let at = (lo - o.start as isize) as usize * 3;
                        head(conv, &x, m, &mut a[at..at + m * 3]);
                    }
                }
                break;
            }
            Op::Affine { .. } | Op::Relu | Op::Add | Op::Crop { .. } => {
                elementwise(node, &mut vals, &mut reads, -e, len, s)
            }
        };
        // Inputs whose last reader this was go back to the pool (in-place nodes took theirs).
        for &j in &node.inputs {
            reads[j] -= 1;
            if reads[j] == 0 {
                if let Some(a) = vals[j].take() {
                    s.give(a.data);
                }
                for p in patches.iter_mut() {
                    p[j] = None;
                }
            }
        }
        if i != last {
            vals[i] = Some(value);
        }
    }
    for a in vals
        .into_iter()
        .chain(patches.into_iter().flatten())
        .flatten()
    {
        s.give(a.data);
    }
}

/// The positions `lo..hi` of a node where `change` can differ from the reference (within
/// `spread` of it) and its outputs need values (within `ext` of them).
fn cone(change: &Change, spread: usize, ext: usize) -> (isize, isize) {
    let lo = (change.at - spread as isize).max(change.outputs.start as isize - ext as isize);
    let hi = (change.at + spread as isize + 1).min(change.outputs.end as isize + ext as isize);
    (lo, hi)
}

/// A node's values with one change applied, over its cone only (`None` where it is empty).
fn patch(
    node: &Node,
    ext: usize,
    spread: usize,
    change: &Change,
    vals: &[Option<Act>],
    patches: &[Option<Act>],
    s: &mut Scratch,
) -> Option<Act> {
    let (lo, hi) = cone(change, spread, ext);
    if lo >= hi {
        return None;
    }
    let m = (hi - lo) as usize;
    // The inputs' values over `from..from + len`: the reference, overlaid with their patches.
    let rows = |k: usize, from: isize, len: usize, s: &mut Scratch| {
        let j = node.inputs[k];
        value_rows(input(vals, node, k), patches[j].as_ref(), from, len, s)
    };
    let data = match &node.op {
        Op::Input { channels } => {
            // The cone of the input node is the changed base itself.
            change.row[..*channels].to_vec()
        }
        Op::Conv { conv, relu } => {
            let r = conv.radius();
            let x = rows(0, lo - r as isize, m + 2 * r, s);
            let mut data = vec![0.0; m * conv.c_out];
            conv.run(&x, m, &mut data);
            if *relu {
                data.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            data
        }
        Op::Affine { scale, shift, relu } => {
            let mut data = rows(0, lo, m, s);
            let width = scale.len();
            for row in data.chunks_exact_mut(width) {
                for ((v, a), b) in row.iter_mut().zip(scale).zip(shift) {
                    *v = v.mul_add(*a, *b);
                    if *relu {
                        *v = v.max(0.0);
                    }
                }
            }
            data
        }
        Op::Relu => {
            let mut data = rows(0, lo, m, s);
            data.iter_mut().for_each(|v| *v = v.max(0.0));
            data
        }
        Op::Crop { .. } => rows(0, lo, m, s),
        Op::Add => {
            let mut data = rows(0, lo, m, s);
            for k in 1..node.inputs.len() {
                let other = rows(k, lo, m, s);
                for (v, o) in data.iter_mut().zip(&other) {
                    *v += o;
                }
            }
            data
        }
        Op::Head { .. } => unreachable!("the head is computed with the reference"),
    };
    let width = data.len() / m;
    Some(Act {
        data,
        width,
        first: lo,
    })
}

/// The rows of `reference` over `from..from + len`, with `patch` (the values a change gives,
/// over part of that range) written over them. Patches live in buffers of their own, never the
/// scratch pool's: a pool buffer grown for a reference activation would otherwise hold a small
/// patch, and the pool keep every one of them at that size.
fn value_rows(
    reference: &Act,
    patch: Option<&Act>,
    from: isize,
    len: usize,
    _s: &mut Scratch,
) -> Vec<f32> {
    let w = reference.width;
    let mut x = reference.rows(from, len).to_vec();
    if let Some(p) = patch {
        let lo = from.max(p.first);
        let hi = (from + len as isize).min(p.first + (p.data.len() / w) as isize);
        if lo < hi {
            let at = (lo - from) as usize * w;
            x[at..at + (hi - lo) as usize * w].copy_from_slice(p.rows(lo, (hi - lo) as usize));
        }
    }
    x
}

pub(super) fn input<'a>(vals: &'a [Option<Act>], node: &Node, k: usize) -> &'a Act {
    vals[node.inputs[k]]
        .as_ref()
        .expect("inputs are computed before their readers and kept until their last read")
}

/// Affine, ReLU, Add and Crop: in place on the first input when this node is its last reader.
pub(super) fn elementwise(
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
pub(super) fn head(conv: &Conv, x: &[f32], n: usize, out: &mut [f32]) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(c_in: usize, c_out: usize, k: usize, d: usize, seed: f32) -> Conv {
        Conv {
            c_in,
            c_out,
            k,
            d,
            w: (0..k * c_in * c_out)
                .map(|i| ((i as f32 + seed) * 0.618).sin() * 0.3)
                .collect(),
            b: (0..c_out).map(|i| (i as f32 + seed).cos() * 0.1).collect(),
        }
    }

    fn node(op: Op, inputs: &[usize]) -> Node {
        Node {
            name: String::new(),
            op,
            inputs: inputs.to_vec(),
        }
    }

    /// A small residual network of SpliceAI's shape: input conv, a residual unit with an
    /// affine+ReLU and two dilated convolutions, a skip add, the crop and the head.
    fn network() -> Network {
        let nodes = vec![
            node(Op::Input { channels: 4 }, &[]),
            node(
                Op::Conv {
                    conv: conv(4, 32, 1, 1, 1.0),
                    relu: false,
                },
                &[0],
            ),
            node(
                Op::Affine {
                    scale: (0..32).map(|i| 0.5 + i as f32 / 64.0).collect(),
                    shift: (0..32).map(|i| (i as f32 - 16.0) / 64.0).collect(),
                    relu: true,
                },
                &[1],
            ),
            node(
                Op::Conv {
                    conv: conv(32, 32, 5, 2, 2.0),
                    relu: true,
                },
                &[2],
            ),
            node(
                Op::Conv {
                    conv: conv(32, 32, 3, 5, 3.0),
                    relu: false,
                },
                &[3],
            ),
            node(Op::Add, &[4, 1]),
            node(Op::Relu, &[5]),
            node(Op::Crop { left: 9, right: 9 }, &[6]),
            node(
                Op::Head {
                    conv: conv(32, 3, 1, 1, 4.0),
                },
                &[7],
            ),
        ];
        let context = reach(&nodes);
        Network { nodes, context }
    }

    fn onehot(seq: &[u8]) -> Vec<f32> {
        seq.iter()
            .flat_map(|&b| {
                let mut r = [0.0f32; 4];
                if let Some(i) = b"ACGT".iter().position(|&c| c == b) {
                    r[i] = 1.0;
                }
                r
            })
            .collect()
    }

    #[test]
    fn a_change_computed_in_its_cone_equals_a_full_pass_over_the_changed_tile() {
        let net = network();
        assert_eq!(net.context, 9, "radii 4 + 5 along the residual path");
        let ext = extents(&net.nodes);
        let ctx = net.context;
        let n = 40;
        let seq: Vec<u8> = (0..n + 2 * ctx)
            .map(|i| b"ACGTTGCAAN"[i * 7 % 10])
            .collect();
        let mut s = Scratch::default();
        // Changes anywhere: in the flank, near the ends, in the middle, to N; outputs of any
        // sub-range.
        let cases: [(isize, u8, std::ops::Range<usize>); 6] = [
            (20, b'A', 10..31),
            (-5, b'A', 0..12),
            (0, b'G', 0..40),
            (39, b'N', 30..40),
            (45, b'C', 35..40),
            (7, b'C', 25..40),
        ];
        let changes: Vec<Change> = cases
            .iter()
            .map(|(at, base, outputs)| Change {
                at: *at,
                row: onehot(&[*base]).try_into().unwrap(),
                outputs: outputs.clone(),
            })
            .collect();
        let mut out = vec![0.0; n * 3];
        let mut alt = vec![Vec::new(); changes.len()];
        run_changes(
            &net,
            &ext,
            &onehot(&seq),
            n,
            &changes,
            &mut out,
            &mut alt,
            &mut s,
        );
        let mut plain = vec![0.0; n * 3];
        run(&net, &ext, &onehot(&seq), n, &mut plain, &mut s);
        assert_eq!(out, plain, "the reference is what run gives");
        for (c, a) in changes.iter().zip(&alt) {
            let mut changed = seq.clone();
            changed[(c.at + ctx as isize) as usize] = cases.iter().find(|k| k.0 == c.at).unwrap().1;
            let mut full = vec![0.0; n * 3];
            run(&net, &ext, &onehot(&changed), n, &mut full, &mut s);
            assert_eq!(
                a[..],
                full[c.outputs.start * 3..c.outputs.end * 3],
                "change at {}",
                c.at
            );
        }
        // A change that matters at all is visible in the outputs it reaches.
        assert_ne!(alt[0][..], plain[30..93]);
        // One out of every output's reach leaves the reference as it is.
        assert_eq!(alt[5][..], plain[75..120]);
    }
}
