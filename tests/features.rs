//! Rows and features from the library on the embedded genome: no leakage from the annotation,
//! and the same rows whatever the batch composition.

use std::path::Path;

use arrow_array::{Array, Float32Array, Int64Array, StringArray};
use spliceforge::basemodel::ScoreSource;
use spliceforge::builder::train_builtin;
use spliceforge::features::Group;
use spliceforge::features::{LabelConfig, RowConfig, Schema, gene_rows};
use spliceforge::genome::fasta::Reader;
use spliceforge::genome::{Exon, GeneRegion, Transcript, annotation};
use spliceforge::store::Part;

use crate::util::{Dir, GENOME, GTF, build_cmd, repo, run};

#[test]
fn position_features_do_not_depend_on_annotated_exons() {
    let ann = annotation::read(&repo(GTF), None).unwrap();
    let (reserved, genes): (Vec<_>, Vec<_>) = ann
        .genes
        .into_iter()
        .partition(|g| g.has_introns() && spliceforge::basemodel::is_reserved(&g.id, 0.1));
    let (model, _) = train_builtin(&repo(GENOME), &reserved, 250, 0.1).unwrap();
    let contig = Reader::open(&repo(GENOME))
        .unwrap()
        .next_contig()
        .unwrap()
        .unwrap();
    let schema = Schema::new(&[3]);
    let cfg = RowConfig {
        label: LabelConfig {
            keep_all: true,
            ..LabelConfig::default()
        },
        kmer_sizes: vec![3],
        seed: 42,
        structure: true,
    };
    let groups: Vec<Group> = schema.features().map(|c| c.group).collect();
    let mut structure_changed = 0;
    let tested: Vec<_> = genes.iter().filter(|g| g.has_introns()).take(12).collect();
    assert!(tested.len() >= 10);
    for gene in tested {
        let region = GeneRegion::new(gene, &contig, 250);
        let scores = model.score(gene, &region);
        let a = gene_rows(gene, &region, &scores, &schema, &cfg);
        // The same gene with every transcript replaced by one exon spanning the gene.
        let mut flat = gene.clone();
        flat.transcripts = vec![Transcript::new(
            "flat".into(),
            vec![Exon {
                start: gene.start,
                end: gene.end,
            }],
        )];
        let region_b = GeneRegion::new(&flat, &contig, 250);
        let b = gene_rows(
            &flat,
            &region_b,
            &model.score(&flat, &region_b),
            &schema,
            &cfg,
        );
        assert_eq!(a.positions, b.positions, "{}", gene.id);
        for (f, group) in groups.iter().enumerate() {
            let (x, y) = (a.feature(f), b.feature(f));
            let same = x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits());
            if *group == Group::GeneStructure {
                structure_changed += (!same) as usize;
            } else {
                let name = &schema.features().nth(f).unwrap().name;
                assert!(
                    same,
                    "{}: position-level feature {name} changed with the annotation",
                    gene.id
                );
            }
        }
        assert!(
            a.splice.iter().any(|s| s.as_str() != "neither"),
            "labels come from the annotation"
        );
        assert!(b.splice.iter().all(|s| s.as_str() == "neither"));
    }
    assert!(
        structure_changed > 0,
        "gene-structure columns should reflect the annotation"
    );
}

/// Every column of a dataset's parts, concatenated in file order, as comparable bytes.
fn columns(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut parts: Vec<_> = std::fs::read_dir(dir.join("parts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    parts.sort();
    let schema = Schema::new(&[3]);
    let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
    let mut out: Vec<(String, Vec<u8>)> =
        names.iter().map(|n| (n.to_string(), Vec::new())).collect();
    for p in parts {
        for batch in Part::open(&p).unwrap().read(&names, None, 4096).unwrap() {
            let batch = batch.unwrap();
            for (i, col) in batch.columns().iter().enumerate() {
                let buf = &mut out[i].1;
                if let Some(a) = col.as_any().downcast_ref::<Float32Array>() {
                    a.values()
                        .iter()
                        .for_each(|v| buf.extend_from_slice(&v.to_bits().to_le_bytes()));
                } else if let Some(a) = col.as_any().downcast_ref::<Int64Array>() {
                    a.values()
                        .iter()
                        .for_each(|v| buf.extend_from_slice(&v.to_le_bytes()));
                } else if let Some(a) = col.as_any().downcast_ref::<StringArray>() {
                    (0..a.len()).for_each(|r| {
                        buf.extend_from_slice(a.value(r).as_bytes());
                        buf.push(0)
                    });
                } else {
                    panic!("unexpected column type {}", col.data_type());
                }
            }
        }
    }
    out
}

#[test]
fn rows_do_not_depend_on_batch_composition_or_threads() {
    let dir = Dir::new();
    let mut datasets = Vec::new();
    for (name, bs, br, threads) in [
        ("a", "3", "1000", "1"),
        ("b", "50", "10000", "2"),
        ("c", "7", "777", "2"),
    ] {
        let out = dir.join(name);
        run(build_cmd(
            &dir,
            &out,
            &["--batch-size", bs, "--batch-rows", br, "--threads", threads],
        ))
        .ok();
        datasets.push(columns(&out));
    }
    let rows = datasets[0]
        .iter()
        .find(|c| c.0 == "position")
        .unwrap()
        .1
        .len()
        / 8;
    assert!(rows > 100_000, "{rows}");
    // No feature is ever missing: XGBoost's binned matrix stays dense (1 byte per value, not 4).
    let schema = Schema::new(&[3]);
    for c in schema.features() {
        let bytes = &datasets[0].iter().find(|x| x.0 == c.name).unwrap().1;
        let bad = bytes
            .chunks_exact(4)
            .filter(|b| !f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite())
            .count();
        assert_eq!(bad, 0, "feature {} has {bad} non-finite values", c.name);
    }
    for d in &datasets[1..] {
        for ((name, a), (_, b)) in datasets[0].iter().zip(d) {
            assert!(a == b, "column {name} differs between batch layouts");
        }
    }
}
