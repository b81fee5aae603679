//! The example of every subcommand's `--help`: shell lines that paste and run from the
//! repository's root, in this order (each builds on the ones before it). Every line is shorter
//! than the help's width, so nothing is wrapped; a test runs them all.

/// `inspect`.
pub const INSPECT: &str = "\
Example (from the repository's root, on the embedded fly chromosome 4):
  spliceforge inspect \\
    --genome data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz \\
    --annotation data/DmelanDM6_4.gtf.gz";

/// `builder`.
pub const BUILDER: &str = "\
Example (from the repository's root; about two seconds on 2 cores):
  spliceforge builder --out out/dmel \\
    --genome data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz \\
    --annotation data/DmelanDM6_4.gtf.gz";

/// `verify`.
pub const VERIFY: &str = "\
Example (after builder's example):
  spliceforge verify out/dmel";

/// `schema`.
pub const SCHEMA: &str = "\
Example (the table of docs/dataset-schema.md):
  spliceforge schema --markdown";

/// `score`.
pub const SCORE: &str = "\
For SpliceAI add --base-model spliceai --spliceai-weights \"$(scripts/fetch-spliceai.sh)\"
(the weights are Illumina's, licensed CC BY-NC 4.0: non-commercial use only).

Example (the built-in base model):
  spliceforge score --out out/dmel-scores.parquet \\
    --genome data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz \\
    --annotation data/DmelanDM6_4.gtf.gz";

/// `merge`.
pub const MERGE: &str = "\
Example (two shards built one after the other here; on a cluster, one array task each):
  for i in 0 1; do
    spliceforge builder --shard $i/2 --out out/dmel-shard-$i \\
      --genome data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz \\
      --annotation data/DmelanDM6_4.gtf.gz
  done
  spliceforge merge --out out/dmel-merged out/dmel-shard-0 out/dmel-shard-1";

/// `train`.
pub const TRAIN: &str = "\
Example (after builder's example; gene-level 3-fold CV, calibration, report.md):
  spliceforge train --dataset out/dmel --out-dir out/dmel-model \\
    --n-estimators 20 --learning-rate 0.3 --n-folds 3";

/// `predict`.
pub const PREDICT: &str = "\
Example (after train's example; here on the training genes, so not held-out figures):
  spliceforge predict --model out/dmel-model --dataset out/dmel --out out/dmel-preds.parquet
Every base of three genes of the genome (no dataset needed):
  spliceforge predict --model out/dmel-model --out out/dmel-bases.parquet \\
    --genome data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz \\
    --annotation data/DmelanDM6_4.gtf.gz --n-genes 3";

/// `evaluate`.
pub const EVALUATE: &str = "\
Example (after train's example; every base of three genes, then their figures):
  spliceforge predict --model out/dmel-model --out out/dmel-bases.parquet \\
    --genome data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz \\
    --annotation data/DmelanDM6_4.gtf.gz --n-genes 3
  spliceforge evaluate --predictions out/dmel-bases.parquet --out out/dmel-eval
Example against the longest transcript of each gene:
  spliceforge evaluate --predictions out/dmel-bases.parquet --out out/dmel-eval-longest \\
    --annotation data/DmelanDM6_4.gtf.gz --transcripts longest";

/// `estimate`.
pub const ESTIMATE: &str = "\
Examples (the first after builder's example):
  spliceforge estimate --dataset out/dmel --memory-budget 2G
  spliceforge estimate --genes 10000 --rows-per-gene 1300 --features 131";

/// `tracker`.
pub const TRACKER: &str = "\
Across hosts, give --host an address every worker reaches and start each worker on its host
(under srun: --rank $SLURM_PROCID --world $SLURM_NTASKS).

Example (two workers on this machine):
  spliceforge tracker --workers 2 --address-file out/tracker.addr &
  until [ -s out/tracker.addr ]; do sleep 0.1; done
  for r in 0 1; do
    spliceforge train --dataset out/dmel --out-dir out/dmel-2w --n-estimators 10 \\
      --tracker \"$(cat out/tracker.addr)\" --rank $r --world 2 &
  done
  wait";

/// `doctor`.
pub const DOCTOR: &str = "\
Example (what this installation uses; exit 15 if XGBoost's library is missing or too old):
  spliceforge doctor";

/// `variants`.
pub const VARIANTS: &str = "\
SpliceAI's weights are Illumina's, licensed CC BY-NC 4.0 (non-commercial use only).

Example (SpliceAI's -D 50 on two variants of the embedded fly chromosome 4; a minus-strand gene):
  mkdir -p out
  printf '##fileformat=VCFv4.2\\n#CHROM\\tPOS\\tID\\tREF\\tALT\\tQUAL\\tFILTER\\tINFO\\n' > out/dmel4.vcf
  printf 'NC_004353.4\\t42995\\t.\\tG\\tGTGCAG\\t.\\t.\\t.\\n' >> out/dmel4.vcf
  printf 'NC_004353.4\\t43133\\t.\\tC\\tG\\t.\\t.\\t.\\n' >> out/dmel4.vcf
  spliceforge variants --vcf out/dmel4.vcf --distance 50 \\
    --genome data/DmelanDM6_4_GCF_000001215.4_Release_6_plus_ISO1_MT_genomic.fna.gz \\
    --annotation data/DmelanDM6_4.gtf.gz \\
    --spliceai-weights \"$(scripts/fetch-spliceai.sh)\" --out out/dmel4.spliceai.vcf.gz

On a cluster: the same command in every array task (each takes its --shard from Slurm), then
once more with --merge to write --out. SpliceAI's own gene tables: --annotation
\"$(scripts/fetch-spliceai.sh)/grch38.txt\".";
