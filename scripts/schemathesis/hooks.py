"""Schemathesis hooks for jiuzhu's OpenAPI document (loaded through SCHEMATHESIS_HOOKS).

- The string format `gb11643`: resident identity numbers (GB 11643-1999), 17 digits and the
  ISO 7064 MOD 11-2 check character, with a real Wenzhou area code and a real birth date.
- The roster upload's media type (XLSX): a real workbook with the sheets `households` and
  `persons`, whose rows are drawn by Hypothesis (villages of Pingyang, valid or broken
  values), so the upload is driven with files the import must read, not random bytes.
"""

import datetime
import io
import zipfile
from xml.sax.saxutils import escape

import schemathesis
from hypothesis import strategies as st

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
# Wenzhou's districts and counties (the demo's city).
AREAS = ["330302", "330303", "330304", "330305", "330324", "330326", "330327", "330328", "330329", "330381", "330382", "330383"]
# Villages of Pingyang (平阳县, the demo's county) and one code that is no village.
VILLAGES = ["330326100013", "330326117203", "330326999999"]


def with_check(first17: str) -> str:
    return first17 + CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


@st.composite
def id_numbers(draw):
    area = draw(st.sampled_from(AREAS))
    born = draw(st.dates(min_value=datetime.date(1920, 1, 1), max_value=datetime.date(2025, 12, 31)))
    seq = draw(st.integers(min_value=0, max_value=999))
    return with_check(f"{area}{born:%Y%m%d}{seq:03d}")


schemathesis.openapi.format("gb11643", id_numbers())


def cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def sheet_xml(rows) -> str:
    body = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(cell(f"{chr(65 + c)}{r}", v) for c, v in enumerate(row))
        body.append(f'<row r="{r}">{cells}</row>')
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(body)}</sheetData></worksheet>"
    )


def workbook(sheets) -> bytes:
    """A minimal SpreadsheetML workbook of inline strings, one sheet per (name, rows)."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        entries = "".join(
            f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, (name, _) in enumerate(sheets, start=1)
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}" xmlns:r="{rel}"><sheets>{entries}</sheets></workbook>',
        )
        links = "".join(
            f'<Relationship Id="rId{i}" Type="{rel}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{links}</Relationships>',
        )
        for i, (_, rows) in enumerate(sheets, start=1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", sheet_xml(rows))
    return buf.getvalue()


HOUSEHOLDS = ["household_id", "region_code", "hukou", "has_land", "deposits", "vehicle_value", "house_count", "address"]
PERSONS = [
    "id_number", "household_id", "birth_date", "health", "student", "declared_wage_monthly", "pension_monthly",
    "medical_oop_annual", "tuition_annual", "pension_premium_annual", "name", "sex", "phone", "relation",
]
amounts = st.sampled_from(["0.00", "1200.00", "2300.50", "-5.00", "12.345"])


@st.composite
def rosters(draw):
    households, persons = [HOUSEHOLDS], [PERSONS]
    for n in range(draw(st.integers(min_value=1, max_value=3))):
        code = f"HST{draw(st.integers(min_value=0, max_value=10**8)):09d}"
        households.append([
            code, draw(st.sampled_from(VILLAGES)), draw(st.sampled_from(["rural", "urban", "农村"])),
            draw(st.sampled_from(["0", "1"])), draw(amounts), "0.00", draw(st.sampled_from(["0", "1"])), f"{n + 1}号",
        ])
        for m in range(draw(st.integers(min_value=1, max_value=3))):
            id_number = draw(id_numbers())
            born = f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}"
            persons.append([
                id_number, code, born, draw(st.sampled_from(["1", "2", "6", "9"])), "0", draw(amounts), "0.00",
                "0.00", "0.00", "0.00", draw(st.sampled_from(["张三", "欧阳娜娜娜", "阿卜杜热西提", ""])),
                "M" if int(id_number[16]) % 2 else "F", "13800000001", "head" if m == 0 else "child",
            ])
    return workbook([("households", households), ("persons", persons)])


schemathesis.openapi.media_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", rosters())
