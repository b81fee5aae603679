//! One SpliceAI network read from a Keras 2 `.h5` file: the layer graph from the file's stored
//! `model_config` (wired by each layer's inbound nodes, never by layer names, which Keras numbered
//! out of graph order), the weights from `model_weights/`, BatchNorm folded into per-channel
//! affine maps (and into the preceding convolution where nothing else reads its output).
//!
//! The loader is generic over the layer kinds SpliceAI uses (Conv1D, BatchNormalization,
//! Activation, Add, Cropping1D) and then checks the result is SpliceAI's: one-hot input of 4
//! channels, a softmax over 3 classes, a receptive field equal to the crop.

use std::collections::HashMap;
use std::path::Path;

use hdf5_pure::{AttrValue, File};
use serde_json::Value;

use super::conv::Conv;
use super::error::{Error, Problem};

/// What a node computes from its inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// The one-hot sequence (A, C, G, T channels).
    Input {
        /// Channels (4).
        channels: usize,
    },
    /// A convolution ("same" padding), optionally followed by ReLU.
    Conv {
        /// Weights.
        conv: Conv,
        /// ReLU after it.
        relu: bool,
    },
    /// A per-channel affine map (a folded BatchNorm), optionally followed by ReLU.
    Affine {
        /// Scale per channel.
        scale: Vec<f32>,
        /// Shift per channel.
        shift: Vec<f32>,
        /// ReLU after it.
        relu: bool,
    },
    /// ReLU alone.
    Relu,
    /// Element-wise sum of the inputs.
    Add,
    /// Drops `left`/`right` positions at the ends: an identity in absolute coordinates.
    Crop {
        /// Positions dropped at the start.
        left: usize,
        /// Positions dropped at the end.
        right: usize,
    },
    /// The output: a 1×1 convolution and a softmax over the classes.
    Head {
        /// Weights (`c_out` = classes).
        conv: Conv,
    },
}

/// A node of the graph, in evaluation order; `inputs` index earlier nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The Keras layer name (for messages only).
    pub name: String,
    /// What it computes.
    pub op: Op,
    /// Indices of its inputs.
    pub inputs: Vec<usize>,
}

/// A loaded, checked network.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// Nodes in evaluation order; the first is the input, the last the head.
    pub nodes: Vec<Node>,
    /// Positions of context the output needs on each side (the crop; 5,000 for SpliceAI-10k).
    pub context: usize,
}

/// A Keras layer as the model config describes it.
struct Layer {
    class: String,
    name: String,
    config: Value,
    inbound: Vec<String>,
}

impl Network {
    /// Reads and checks the network stored in `path`.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if !bytes.starts_with(b"\x89HDF\r\n\x1a\n") {
            return Err(Error::bad(
                path,
                Problem::NotHdf5(format!("{} bytes, no HDF5 signature", bytes.len())),
            ));
        }
        let len = bytes.len() as u64;
        let file = File::from_bytes(bytes)
            .map_err(|e| Error::bad(path, Problem::NotHdf5(e.to_string())))?;
        let config = read_config(&file).map_err(|p| Error::bad(path, p))?;
        let layers = parse_layers(&config).map_err(|p| Error::bad(path, p))?;
        build(&H5 { file: &file, len }, &layers).map_err(|p| Error::bad(path, p))
    }

    /// Multiply-adds per output position of the whole network, as if every layer ran on every
    /// position (the flank savings excluded): the figure GFLOP/s are quoted against.
    pub fn flops_per_position(&self) -> u64 {
        self.nodes
            .iter()
            .map(|n| match &n.op {
                Op::Conv { conv, .. } | Op::Head { conv } => conv.flops_per_position(),
                _ => 0,
            })
            .sum()
    }
}

fn read_config(file: &File) -> Result<Value, Problem> {
    let attrs = file
        .root()
        .attrs()
        .map_err(|e| Problem::NotKeras(format!("cannot read the root attributes: {e}")))?;
    let text = attrs
        .get("model_config")
        .and_then(AttrValue::as_str)
        .ok_or_else(|| {
            Problem::NotKeras("the file has no model_config attribute (not a Keras model)".into())
        })?;
    serde_json::from_str(text)
        .map_err(|e| Problem::NotKeras(format!("model_config is not JSON: {e}")))
}

fn parse_layers(config: &Value) -> Result<Vec<Layer>, Problem> {
    let layers = config["config"]["layers"]
        .as_array()
        .ok_or_else(|| Problem::NotKeras("model_config has no config.layers list".into()))?;
    layers
        .iter()
        .map(|l| {
            let name = l["name"]
                .as_str()
                .or_else(|| l["config"]["name"].as_str())
                .ok_or_else(|| Problem::NotKeras("a layer has no name".into()))?
                .to_string();
            let mut inbound = Vec::new();
            if let Some(nodes) = l["inbound_nodes"].as_array() {
                if nodes.len() > 1 {
                    return Err(Problem::Graph(format!(
                        "layer {name} is called more than once"
                    )));
                }
                for node in nodes {
                    for edge in node.as_array().into_iter().flatten() {
                        let from = edge[0].as_str().ok_or_else(|| {
                            Problem::NotKeras(format!("layer {name}: unreadable inbound node"))
                        })?;
                        inbound.push(from.to_string());
                    }
                }
            }
            Ok(Layer {
                class: l["class_name"].as_str().unwrap_or("?").to_string(),
                name,
                config: l["config"].clone(),
                inbound,
            })
        })
        .collect()
}

/// Orders the layers so every input comes first, reads their weights and folds what folds.
fn build(file: &H5<'_>, layers: &[Layer]) -> Result<Network, Problem> {
    let by_name: HashMap<&str, &Layer> = layers.iter().map(|l| (l.name.as_str(), l)).collect();
    let mut order: Vec<&Layer> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    // Kahn's algorithm over the inbound edges; ties keep the file's order.
    let mut pending: Vec<&Layer> = layers.iter().collect();
    while !pending.is_empty() {
        let before = pending.len();
        pending.retain(|l| {
            if l.inbound.iter().all(|i| index.contains_key(i.as_str())) {
                index.insert(l.name.as_str(), order.len());
                order.push(l);
                false
            } else {
                true
            }
        });
        if pending.len() == before {
            let l = pending[0];
            let missing = l.inbound.iter().find(|i| !by_name.contains_key(i.as_str()));
            return Err(Problem::Graph(match missing {
                Some(m) => format!("layer {} reads {m}, which does not exist", l.name),
                None => format!("the graph has a cycle through {}", l.name),
            }));
        }
    }

    let mut nodes: Vec<Node> = Vec::with_capacity(order.len());
    for l in &order {
        let inputs: Vec<usize> = l.inbound.iter().map(|i| index[i.as_str()]).collect();
        let op = layer_op(file, l)?;
        let arity = match op {
            Op::Input { .. } => 0,
            Op::Add => inputs.len().max(2),
            _ => 1,
        };
        if inputs.len() != arity {
            return Err(Problem::Graph(format!(
                "layer {} ({}) has {} inputs",
                l.name,
                l.class,
                inputs.len()
            )));
        }
        nodes.push(Node {
            name: l.name.clone(),
            op,
            inputs,
        });
    }
    let nodes = fold(nodes);
    check(nodes)
}

fn layer_op(file: &H5<'_>, l: &Layer) -> Result<Op, Problem> {
    let c = &l.config;
    let unsupported =
        |what: String| Problem::Graph(format!("layer {} ({}): {what}", l.name, l.class));
    match l.class.as_str() {
        "InputLayer" => {
            let shape = c["batch_input_shape"].as_array();
            let channels = shape
                .and_then(|s| s.last())
                .and_then(Value::as_u64)
                .ok_or_else(|| unsupported("no channel count in batch_input_shape".into()))?;
            Ok(Op::Input {
                channels: channels as usize,
            })
        }
        "Conv1D" => conv_layer(file, l),
        "BatchNormalization" => batch_norm_layer(file, l),
        "Activation" => match c["activation"].as_str() {
            Some("relu") => Ok(Op::Relu),
            Some("linear") => Ok(Op::Crop { left: 0, right: 0 }),
            other => Err(unsupported(format!("activation {other:?}"))),
        },
        "Add" => Ok(Op::Add),
        "Cropping1D" => {
            let crop = c["cropping"].as_array();
            let at = |i: usize| crop.and_then(|a| a.get(i)).and_then(Value::as_u64);
            match (at(0), at(1)) {
                (Some(left), Some(right)) => Ok(Op::Crop {
                    left: left as usize,
                    right: right as usize,
                }),
                _ => Err(unsupported(format!("cropping {}", c["cropping"]))),
            }
        }
        other => Err(Problem::Graph(format!(
            "layer {} is a {other}, which SpliceAI does not use (expected Conv1D, BatchNormalization, Activation, Add, Cropping1D)",
            l.name
        ))),
    }
}

/// A Conv1D layer: its shape from the config, its weights from the file.
fn conv_layer(file: &H5<'_>, l: &Layer) -> Result<Op, Problem> {
    let c = &l.config;
    let unsupported =
        |what: String| Problem::Graph(format!("layer {} ({}): {what}", l.name, l.class));
    let first = |key: &str| {
        c[key]
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_u64)
    };
    let k = first("kernel_size").ok_or_else(|| unsupported("no kernel_size".into()))?;
    let d = first("dilation_rate").unwrap_or(1);
    if first("strides").unwrap_or(1) != 1 {
        return Err(unsupported("strides other than 1".into()));
    }
    if k % 2 == 0 || (k > 1 && c["padding"].as_str() != Some("same")) {
        return Err(unsupported(format!(
            "kernel {k} with padding {}: only odd kernels with \"same\" padding",
            c["padding"]
        )));
    }
    let weights = read_weights(file, &l.name)?;
    let kernel = find(&weights, "kernel", &l.name)?;
    let (shape, w) = kernel;
    if shape.len() != 3 || shape[0] != k as usize {
        return Err(unsupported(format!("kernel of shape {shape:?}")));
    }
    let (c_in, c_out) = (shape[1], shape[2]);
    let b = if c["use_bias"].as_bool().unwrap_or(true) {
        find(&weights, "bias", &l.name)?.1.clone()
    } else {
        vec![0.0; c_out]
    };
    let conv = Conv {
        c_in,
        c_out,
        k: k as usize,
        d: d as usize,
        w: w.clone(),
        b,
    };
    match c["activation"].as_str().unwrap_or("linear") {
        "linear" => Ok(Op::Conv { conv, relu: false }),
        "relu" => Ok(Op::Conv { conv, relu: true }),
        "softmax" => Ok(Op::Head { conv }),
        other => Err(unsupported(format!("activation {other:?}"))),
    }
}

/// A BatchNormalization layer, folded into a per-channel affine map.
fn batch_norm_layer(file: &H5<'_>, l: &Layer) -> Result<Op, Problem> {
    let c = &l.config;
    let eps = c["epsilon"].as_f64().unwrap_or(1e-3);
    let weights = read_weights(file, &l.name)?;
    let mean = &find(&weights, "moving_mean", &l.name)?.1;
    let var = &find(&weights, "moving_variance", &l.name)?.1;
    let n = mean.len();
    let gamma = find(&weights, "gamma", &l.name)
        .map(|g| g.1.clone())
        .unwrap_or(vec![1.0; n]);
    let beta = find(&weights, "beta", &l.name)
        .map(|b| b.1.clone())
        .unwrap_or(vec![0.0; n]);
    let (scale, shift) = fold_batch_norm(&gamma, &beta, mean, var, eps);
    Ok(Op::Affine {
        scale,
        shift,
        relu: false,
    })
}

/// BatchNorm at inference: `γ·(x − mean)/√(var + ε) + β` as `scale·x + shift` (computed in f64).
pub fn fold_batch_norm(
    gamma: &[f32],
    beta: &[f32],
    mean: &[f32],
    var: &[f32],
    eps: f64,
) -> (Vec<f32>, Vec<f32>) {
    let mut scale = Vec::with_capacity(mean.len());
    let mut shift = Vec::with_capacity(mean.len());
    for i in 0..mean.len() {
        let s = f64::from(gamma[i]) / (f64::from(var[i]) + eps).sqrt();
        scale.push(s as f32);
        shift.push((f64::from(beta[i]) - f64::from(mean[i]) * s) as f32);
    }
    (scale, shift)
}

type Weights = Vec<(String, (Vec<usize>, Vec<f32>))>;

/// An opened weight file and its size in bytes: the bound on what its datasets may hold.
struct H5<'a> {
    file: &'a File,
    len: u64,
}

/// The layer's weight arrays, found through its group's `weight_names` attribute.
fn read_weights(file: &H5<'_>, layer: &str) -> Result<Weights, Problem> {
    let group_path = format!("model_weights/{layer}");
    let group = file
        .file
        .group(&group_path)
        .map_err(|e| Problem::Weights(format!("no weights group {group_path}: {e}")))?;
    let attrs = group
        .attrs()
        .map_err(|e| Problem::Weights(format!("{group_path}: {e}")))?;
    let names = attrs
        .get("weight_names")
        .and_then(AttrValue::as_strings)
        .ok_or_else(|| Problem::Weights(format!("{group_path} has no weight_names")))?;
    names
        .iter()
        .map(|n| {
            let path = format!("{group_path}/{n}");
            let ds = file
                .file
                .dataset(&path)
                .map_err(|e| Problem::Weights(format!("{path}: {e}")))?;
            let shape: Vec<usize> = ds
                .shape()
                .map_err(|e| Problem::Weights(format!("{path}: {e}")))?
                .into_iter()
                .map(|d| d as usize)
                .collect();
            // Keras stores weights uncompressed, 4 bytes a value: a dataset claiming more values
            // than the file has room for is damaged, and is refused before anything is
            // allocated for it (a 10 kB file once claimed 10⁹ values: 8 GB and 20 s).
            let values = shape.iter().try_fold(1u64, |n, &d| n.checked_mul(d as u64));
            if values.is_none_or(|v| v.saturating_mul(4) > file.len) {
                return Err(Problem::Weights(format!(
                    "{path}: shape {shape:?} claims more values than the file's {} bytes hold",
                    file.len
                )));
            }
            let data = ds
                .read_f32()
                .map_err(|e| Problem::Weights(format!("{path}: {e}")))?;
            if data.len() != shape.iter().product::<usize>() {
                return Err(Problem::Weights(format!(
                    "{path}: {} values for shape {shape:?}",
                    data.len()
                )));
            }
            let short = n.rsplit('/').next().unwrap_or(n);
            let short = short.split(':').next().unwrap_or(short).to_string();
            Ok((short, (shape, data)))
        })
        .collect()
}

fn find<'a>(
    w: &'a Weights,
    what: &str,
    layer: &str,
) -> Result<&'a (Vec<usize>, Vec<f32>), Problem> {
    w.iter()
        .find(|(n, _)| n == what)
        .map(|(_, v)| v)
        .ok_or_else(|| Problem::Weights(format!("layer {layer} has no {what} weights")))
}

/// Merges each affine map into the convolution before it when that convolution feeds nothing
/// else, and each ReLU into the node before it when nothing else reads that node.
fn fold(mut nodes: Vec<Node>) -> Vec<Node> {
    let readers = |nodes: &[Node], i: usize| nodes.iter().filter(|n| n.inputs.contains(&i)).count();
    let mut i = 0;
    while i < nodes.len() {
        let Some(&src) = nodes[i].inputs.first() else {
            i += 1;
            continue;
        };
        let single = nodes[i].inputs.len() == 1 && readers(&nodes, src) == 1;
        let op = nodes[i].op.clone();
        let merged = match (&op, single) {
            (
                Op::Affine {
                    scale,
                    shift,
                    relu: false,
                },
                true,
            ) => match &mut nodes[src].op {
                Op::Conv { conv, relu: false } => {
                    conv.fold_affine(scale, shift);
                    true
                }
                _ => false,
            },
            (Op::Relu, true) => match &mut nodes[src].op {
                Op::Conv { relu, .. } | Op::Affine { relu, .. } if !*relu => {
                    *relu = true;
                    true
                }
                _ => false,
            },
            (Op::Crop { left: 0, right: 0 }, _) => true,
            _ => false,
        };
        if merged {
            // Node i disappears: its readers read its input; later indices shift down by one.
            nodes.remove(i);
            for n in &mut nodes {
                for x in &mut n.inputs {
                    if *x == i {
                        *x = src;
                    } else if *x > i {
                        *x -= 1;
                    }
                }
            }
        } else {
            i += 1;
        }
    }
    nodes
}

/// Checks the graph is SpliceAI's shape and returns it with its context.
fn check(nodes: Vec<Node>) -> Result<Network, Problem> {
    let found = describe(&nodes);
    check_ends(&nodes, &found)?;
    check_channels(&nodes)?;
    let radius = check_crop(&nodes, &found)?;
    Ok(Network {
        nodes,
        context: radius,
    })
}

/// One input of 4 one-hot channels first; one softmax head, last, of 3 classes from a 1×1
/// kernel. `found` is the graph's census for the messages.
fn check_ends(nodes: &[Node], found: &str) -> Result<(), Problem> {
    let inputs = nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Input { .. }))
        .count();
    let heads = nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Head { .. }))
        .count();
    if inputs != 1 || heads != 1 {
        return Err(Problem::NotSpliceAi(format!(
            "{inputs} inputs and {heads} softmax outputs; found {found}"
        )));
    }
    if !matches!(nodes[0].op, Op::Input { channels: 4 }) {
        return Err(Problem::NotSpliceAi(format!(
            "the input is not 4 one-hot channels; found {found}"
        )));
    }
    let last = nodes.len() - 1;
    let Op::Head { conv } = &nodes[last].op else {
        return Err(Problem::NotSpliceAi(format!(
            "the softmax is not the last layer; found {found}"
        )));
    };
    if conv.c_out != 3 || conv.k != 1 {
        return Err(Problem::NotSpliceAi(format!(
            "the output has {} classes from a kernel of {}; SpliceAI's is 3 classes from 1×1; found {found}",
            conv.c_out, conv.k
        )));
    }
    Ok(())
}

/// Channel counts must agree along every edge.
fn check_channels(nodes: &[Node]) -> Result<(), Problem> {
    let mut channels = vec![0usize; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        let input = |j: usize| channels[n.inputs[j]];
        channels[i] = match &n.op {
            Op::Input { channels } => *channels,
            Op::Conv { conv, .. } | Op::Head { conv } => {
                if input(0) != conv.c_in {
                    return Err(Problem::Graph(format!(
                        "layer {} expects {} channels and gets {}",
                        n.name,
                        conv.c_in,
                        input(0)
                    )));
                }
                conv.c_out
            }
            Op::Affine { scale, .. } if scale.len() != input(0) => {
                return Err(Problem::Graph(format!(
                    "layer {} normalises {} channels of {}",
                    n.name,
                    scale.len(),
                    input(0)
                )));
            }
            Op::Add if n.inputs.iter().any(|&j| channels[j] != input(0)) => {
                return Err(Problem::Graph(format!(
                    "layer {} adds unequal widths",
                    n.name
                )));
            }
            _ => input(0),
        };
    }
    Ok(())
}

/// The receptive field must be what the crop removes, else outputs would depend on padding;
/// returns the receptive field's half-width.
fn check_crop(nodes: &[Node], found: &str) -> Result<usize, Problem> {
    let radius = super::program::reach(nodes);
    let crop: usize = nodes
        .iter()
        .map(|n| match n.op {
            Op::Crop { left, right } if left == right => left,
            Op::Crop { .. } => usize::MAX / 2,
            _ => 0,
        })
        .sum();
    if crop != radius {
        return Err(Problem::NotSpliceAi(format!(
            "the crop ({crop}) differs from the receptive field's half-width ({radius}); found {found}"
        )));
    }
    Ok(radius)
}

/// A one-line census of the graph for error messages.
fn describe(nodes: &[Node]) -> String {
    let mut convs = 0;
    let mut kernels = std::collections::BTreeSet::new();
    for n in nodes {
        if let Op::Conv { conv, .. } | Op::Head { conv } = &n.op {
            convs += 1;
            kernels.insert((conv.k, conv.d));
        }
    }
    let kernels: Vec<String> = kernels.iter().map(|(k, d)| format!("{k}/{d}")).collect();
    format!(
        "{} layers after folding, {convs} convolutions (kernel/dilation {})",
        nodes.len(),
        kernels.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_norm_folds_into_scale_and_shift() {
        // γ = 2, β = 1, mean = 3, var = 4 − ε: y = 2·(x − 3)/2 + 1 = x − 2.
        let (s, t) = fold_batch_norm(&[2.0], &[1.0], &[3.0], &[4.0 - 0.001], 0.001);
        assert!(
            (s[0] - 1.0).abs() < 1e-7 && (t[0] + 2.0).abs() < 1e-6,
            "{s:?} {t:?}"
        );
    }

    fn conv(c_in: usize, c_out: usize, k: usize) -> Conv {
        Conv {
            c_in,
            c_out,
            k,
            d: 1,
            w: vec![1.0; k * c_in * c_out],
            b: vec![0.0; c_out],
        }
    }

    #[test]
    fn folding_merges_bn_and_relu_into_a_lone_conv_only() {
        let affine = Op::Affine {
            scale: vec![2.0; 2],
            shift: vec![1.0; 2],
            relu: false,
        };
        let nodes = vec![
            Node {
                name: "in".into(),
                op: Op::Input { channels: 2 },
                inputs: vec![],
            },
            Node {
                name: "c".into(),
                op: Op::Conv {
                    conv: conv(2, 2, 3),
                    relu: false,
                },
                inputs: vec![0],
            },
            Node {
                name: "bn".into(),
                op: affine.clone(),
                inputs: vec![1],
            },
            Node {
                name: "r".into(),
                op: Op::Relu,
                inputs: vec![2],
            },
            // The input feeds two readers: this BN must stay a node of its own.
            Node {
                name: "bn2".into(),
                op: affine,
                inputs: vec![0],
            },
            Node {
                name: "add".into(),
                op: Op::Add,
                inputs: vec![3, 4],
            },
        ];
        let folded = fold(nodes);
        let names: Vec<&str> = folded.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["in", "c", "bn2", "add"]);
        let Op::Conv { conv, relu } = &folded[1].op else {
            panic!()
        };
        assert!(relu);
        assert_eq!(conv.w[0], 2.0);
        assert_eq!(conv.b, vec![1.0, 1.0]);
        assert_eq!(folded[3].inputs, vec![1, 2]);
    }
}
