//! The report's tables as a spreadsheet reads them: the CSV a district downloads (one table,
//! chosen by [`GroupBy`]) and the Excel workbook with one sheet per table. Both are rendered from
//! the same rows, so they always agree.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::{CommuneFigures, Figures, Report, UnitFigures};

/// Which table a CSV report holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// One row per commune, then the total.
    #[default]
    Commune,
    /// One row per configured area, then the total.
    Area,
    /// One row per agency office.
    Office,
    /// One row per officer (administrators only).
    Officer,
}

/// One cell: a code (written as is), a name (quoted in CSV), a number, or nothing.
enum Cell {
    Code(String),
    Text(String),
    Number(f64),
    Empty,
}

impl Cell {
    fn opt(v: Option<impl Into<f64>>) -> Cell {
        v.map_or(Cell::Empty, |x| Cell::Number(x.into()))
    }

    fn n(v: impl Into<f64>) -> Cell {
        Cell::Number(v.into())
    }

    fn count(v: u64) -> Cell {
        Cell::Number(v as f64)
    }

    fn csv(&self) -> String {
        match self {
            Cell::Code(c) => c.clone(),
            Cell::Text(t) => format!("\"{}\"", t.replace('"', "\"\"")),
            Cell::Number(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A table: its sheet name, its column names (ASCII, stable for scripts) and its rows.
struct Table {
    sheet: &'static str,
    header: &'static [&'static str],
    rows: Vec<Vec<Cell>>,
}

const FIGURES: &[&str] = &[
    "ma_xa",
    "ten_xa",
    "tiep_nhan",
    "hoan_thanh_truoc_han",
    "hoan_thanh_dung_han",
    "hoan_thanh_qua_han",
    "tu_choi",
    "dang_giai_quyet_trong_han",
    "dang_giai_quyet_qua_han",
    "da_huy",
    "ty_le_tre_han_phan_tram",
    "so_ngay_lam_viec_trung_vi",
    "so_ngay_lam_viec_p90",
    "nhan_qua_buu_chinh",
    "cho_gia_dinh_nhan",
    "da_trao_gia_dinh",
    "so_ngay_den_khi_gia_dinh_nhan_trung_vi",
    "rut_ho_so",
    "ty_le_truoc_han_phan_tram",
    "ty_le_dung_han_phan_tram",
    "ty_le_da_giai_quyet_phan_tram",
    "dat_muc_tieu_noi_bo",
    "xa_chuyen_tre",
    "xa_chuyen_tre_theo_lo",
    "vuot_chi_tieu",
    "so_ho_so_vuot_chi_tieu",
    "tiep_nhan_truc_tuyen",
    "tiep_nhan_truc_tiep",
    "tiep_nhan_qua_buu_chinh",
];

const UNITS: &[&str] = &[
    "thu_tuc",
    "don_vi",
    "tiep_nhan",
    "truoc_han",
    "dung_han",
    "qua_han",
    "dang_trong_han",
    "dang_qua_han",
    "ty_le_tre_han_phan_tram",
    "chi_tieu_phan_tram",
    "vuot_chi_tieu",
    "so_ho_so_vuot_chi_tieu",
];

fn figures_row(code: &str, name: &str, f: &Figures) -> Vec<Cell> {
    vec![
        Cell::Code(code.to_string()),
        Cell::Text(name.to_string()),
        Cell::count(f.received),
        Cell::count(f.completed_early),
        Cell::count(f.completed_on_time),
        Cell::count(f.completed_late),
        Cell::count(f.rejected),
        Cell::count(f.in_progress_on_time),
        Cell::count(f.in_progress_overdue),
        Cell::count(f.cancelled),
        Cell::opt(f.late_rate_percent),
        Cell::opt(f.median_working_days),
        Cell::opt(f.p90_working_days.map(|d| d as f64)),
        Cell::count(f.by_post),
        Cell::count(f.waiting_for_family),
        Cell::count(f.handed_over),
        Cell::opt(f.median_working_days_to_family),
        Cell::count(f.withdrawn),
        Cell::opt(f.early_percent),
        Cell::opt(f.on_time_percent),
        Cell::opt(f.resolved_percent),
        Cell::count(f.within_internal_target),
        Cell::count(f.pushed_late),
        Cell::count(f.pushed_late_in_batches),
        Cell::n(u8::from(f.over_target)),
        Cell::count(f.late_over_target_by),
        Cell::count(f.received_online),
        Cell::count(f.received_in_person),
        Cell::count(f.received_by_post),
    ]
}

fn figures_table(sheet: &'static str, rows: &[CommuneFigures], total: &Figures) -> Table {
    let mut out: Vec<Vec<Cell>> = rows
        .iter()
        .map(|c| figures_row(&c.commune_code, &c.name, &c.figures))
        .collect();
    out.push(figures_row("tong", "Tổng cộng", total));
    Table {
        sheet,
        header: FIGURES,
        rows: out,
    }
}

fn units_table(sheet: &'static str, units: &[UnitFigures]) -> Table {
    let rows = units
        .iter()
        .map(|u| {
            vec![
                Cell::Code(u.leg.clone()),
                Cell::Text(u.unit.clone()),
                Cell::count(u.received),
                Cell::count(u.decided_early),
                Cell::count(u.decided_on_time),
                Cell::count(u.decided_late),
                Cell::count(u.open_within_due),
                Cell::count(u.open_past_due),
                Cell::opt(u.late_rate_percent),
                Cell::n(u.target_percent),
                Cell::n(u8::from(u.over_target)),
                Cell::count(u.late_over_target_by),
            ]
        })
        .collect();
    Table {
        sheet,
        header: UNITS,
        rows,
    }
}

/// The table `group` selects; none for officers when the report has none (not an
/// administrator's).
fn table(r: &Report, group: GroupBy) -> Option<Table> {
    match group {
        GroupBy::Commune => Some(figures_table("Theo xa", &r.communes, &r.total)),
        GroupBy::Area => Some(figures_table("Theo khu vuc", &r.areas, &r.total)),
        GroupBy::Office => Some(units_table("Theo co quan", &r.offices)),
        GroupBy::Officer => r.officers.as_deref().map(|o| units_table("Theo can bo", o)),
    }
}

impl Table {
    /// UTF-8 with a BOM, so spreadsheet programs read the diacritics; CRLF line ends.
    fn csv(&self) -> String {
        let mut out = format!("\u{feff}{}\r\n", self.header.join(","));
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(Cell::csv).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// The table `group` selects, as CSV; none for officers when the report has none.
pub fn to_csv_by(r: &Report, group: GroupBy) -> Option<String> {
    table(r, group).map(|t| t.csv())
}

/// The per-commune table as CSV.
pub fn to_csv(r: &Report) -> String {
    figures_table("Theo xa", &r.communes, &r.total).csv()
}

/// The whole report as an Excel workbook: one sheet per table the report holds (communes,
/// areas, offices, and officers for an administrator's report), numbers as numbers.
pub fn to_xlsx(r: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    for group in [GroupBy::Commune, GroupBy::Area, GroupBy::Office, GroupBy::Officer] {
        let Some(t) = table(r, group) else { continue };
        let sheet = workbook.add_worksheet();
        sheet.set_name(t.sheet)?;
        for (col, name) in t.header.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *name, &bold)?;
        }
        for (i, row) in t.rows.iter().enumerate() {
            let at = i as u32 + 1;
            for (col, cell) in row.iter().enumerate() {
                let col = col as u16;
                match cell {
                    Cell::Code(s) | Cell::Text(s) => {
                        sheet.write_string(at, col, s)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(at, col, *n)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
    }
    workbook.save_to_buffer()
}
