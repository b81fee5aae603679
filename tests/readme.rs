//! The README's commands, run as a newcomer runs them: every `cargo run --release -- …` line of
//! its shell blocks, in order, in a fresh directory that sees the repository's `data/`. The
//! result a user reads must be one figure: the console headline, `report.md`'s first table and
//! `metrics.json` agree, and on `data/` a single meta-model beats the base model (a model that
//! does not is warned about); every output line the README quotes is printed to the letter.

use std::path::Path;

use crate::train::json;
use crate::util::{Dir, repo, run};

/// The lines inside the README's fenced blocks of `lang` (```sh, ```text).
fn block_lines(lang: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo("README.md")).unwrap();
    let fence = format!("```{lang}");
    let mut in_block = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_block = line.trim() == fence && !in_block;
        } else if in_block {
            out.push(line.trim_end().to_string());
        }
    }
    out
}

/// The README's `cargo run --release -- ARGS` lines, as argument lists.
fn readme_commands() -> Vec<Vec<String>> {
    block_lines("sh")
        .iter()
        .filter_map(|l| l.trim().strip_prefix("cargo run --release -- "))
        .map(|rest| rest.split_whitespace().map(String::from).collect())
        .collect()
}

/// The lines of the README's ```text blocks that quote what a command prints: the figure
/// lines (donor, acceptor), the comparison model's line and warnings.
fn quoted_output() -> Vec<String> {
    block_lines("text")
        .into_iter()
        .filter(|l| {
            let t = l.trim_start();
            ["donor ", "acceptor ", "comparison model:", "warning:"]
                .iter()
                .any(|p| t.starts_with(p))
        })
        .collect()
}

fn value_after(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The number after `key` on the headline line of `class` (e.g. "meta", "ensemble").
fn headline_figure(stdout: &str, class: &str, key: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with(class) && l.contains("F1: base"))
        .unwrap_or_else(|| panic!("no {class} headline in:\n{stdout}"));
    let rest = &line[line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len()..];
    rest.split_whitespace().next().unwrap().parse().unwrap()
}

/// The cell of `row` in the column headed `column` of the first table after `heading`.
fn report_figure(report: &str, heading: &str, row: &str, column: &str) -> f64 {
    let section = &report[report
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?} in report.md:\n{report}"))..];
    let rows: Vec<Vec<&str>> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    let col = rows[0].iter().position(|c| *c == column).unwrap();
    let r = rows.iter().find(|r| r[0] == row).unwrap();
    r[col].parse().unwrap()
}

/// Checks one `train` run: the same figure in all three places; meta beats base.
fn check_train(stdout: &str, model: &Path) {
    let report = std::fs::read_to_string(model.join("report.md")).unwrap();
    let m = json(&model.join("metrics.json"));
    let ensemble = model.join("ensemble.json").exists();
    for (c, class) in [(1usize, "donor"), (2, "acceptor")] {
        let result = &m["result"];
        let want = result["base_vs_meta"][c - 1]["meta_f1"].as_f64().unwrap();
        let base = result["base_vs_meta"][c - 1]["base_f1"].as_f64().unwrap();
        assert_eq!(result["classes"][c]["f1"].as_f64().unwrap(), want);
        let (key, heading, row, column) = if ensemble {
            (
                "ensemble ",
                "## Result",
                "ensemble",
                &*format!("{class} F1"),
            )
        } else {
            ("meta ", "## Result", class, "meta F1")
        };
        let said = headline_figure(stdout, class, key);
        let table = report_figure(&report, heading, row, column);
        assert!(
            (said - want).abs() <= 0.0005,
            "{class}: headline {said} vs metrics.json {want}\n{stdout}"
        );
        assert!(
            (table - want).abs() <= 0.00005,
            "{class}: report.md {table} vs metrics.json {want}"
        );
        // A single model must beat the base model on data/; an ensemble of five sub-models of 13
        // or 14 genes each, judged on 13 hold-out genes, need not (the README says so, with
        // figures) — and then the console and report.md warn.
        assert!(
            ensemble || want > base,
            "{class}: the meta-model ({want:.4}) does not beat the base model ({base:.4}) in {}",
            model.display()
        );
        let warning = format!("'s {class} F1 ({want:.3}) is below the base model's");
        assert_eq!(
            stdout.contains(&warning),
            want < base,
            "{class}: warning {warning:?} in\n{stdout}"
        );
        let top = report.split("\n## ").next().unwrap();
        assert_eq!(
            top.contains(&warning),
            want < base,
            "report.md's top:\n{top}"
        );
    }
}

#[test]
fn the_readme_commands_run_and_tell_one_story() {
    let cmds = readme_commands();
    let verbs: Vec<&str> = cmds.iter().map(|c| c[0].as_str()).collect();
    assert_eq!(
        verbs,
        [
            "builder", "train", "train", "predict", "predict", "evaluate", "estimate", "train"
        ],
        "the README's commands changed: update this test"
    );
    let dir = Dir::new();
    std::os::unix::fs::symlink(repo("data"), dir.join("data")).unwrap();
    let mut printed = String::new();
    for args in &cmds {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run(dir.cmd(&refs)).ok();
        printed.push_str(&r.stdout);
        match args[0].as_str() {
            "train" => {
                let out = value_after(args, "--out-dir").unwrap();
                check_train(&r.stdout, &dir.join(&out));
            }
            "predict" if args.iter().any(|a| a == "--genome") => {
                assert!(
                    r.stdout.contains("predicted every base of 5 genes"),
                    "{}",
                    r.stdout
                );
                assert!(r.stdout.contains("called sites in"), "{}", r.stdout);
                for t in ["donor.fwd", "donor.rev", "acceptor.fwd", "acceptor.rev"] {
                    let f = dir.join(&format!("out/dmel-tracks.{t}.bedgraph"));
                    assert!(std::fs::metadata(&f).is_ok_and(|m| m.len() > 0), "{t}");
                }
            }
            "predict" => {
                assert!(r.stdout.contains("rows predicted"), "{}", r.stdout);
            }
            "evaluate" => {
                assert!(r.stdout.contains("donor     top-k: base"), "{}", r.stdout);
                assert!(dir.join("out/dmel-eval/metrics.json").exists());
            }
            "estimate" => {
                assert!(r.stdout.contains("predicted peak"), "{}", r.stdout);
            }
            _ => {}
        }
    }
    // Every output line the README quotes is printed, to the letter.
    let quoted = quoted_output();
    assert!(quoted.len() >= 8, "{quoted:?}");
    let lines: Vec<&str> = printed.lines().map(str::trim_end).collect();
    for q in &quoted {
        assert!(
            lines.contains(&q.as_str()),
            "the README quotes {q:?}; the commands printed:\n{printed}"
        );
    }
}
