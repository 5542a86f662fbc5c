import { addDays, ageOn, mondayOf, parseStart, todayIn, weekdayOf } from "../src/dates";
import { formatCpf, formatMoney, formatPhone, maskCpf, maskDate, maskPhone, parseMoney } from "../src/format";
import { cpfProblem, emailValid, nameProblem, parseBirthDate, phoneValid } from "../src/validation";
import { toApiError } from "../src/api";
import { errorText, patientErrorField } from "../src/errors";
import i18n from "../src/i18n";
import { faceAt, fitsTooth, isTooth, neighbour, ROWS, surfacesOf } from "../src/screens/chart/teeth";
import { alertLabel, regionLabel } from "../src/screens/chart/labels";
import { splitList } from "../src/screens/chart/AnamnesisPanel";
import { CATALOGUE } from "./chartFixtures";
import { placeInLanes, rowSpan } from "../src/screens/agenda/layout";
import ptBR from "../src/i18n/pt-BR";
import en from "../src/i18n/en";
import { appointment, DIRECTORY } from "./helpers";

describe("CPF", () => {
  test("módulo 11 check digits, with or without punctuation", () => {
    expect(cpfProblem("529.982.247-25")).toBeNull();
    expect(cpfProblem("52998224725")).toBeNull();
    expect(cpfProblem("529.982.247-24")).toBe("check");
    expect(cpfProblem("529.982.247-15")).toBe("check");
    expect(cpfProblem("111.111.111-11")).toBe("repeated");
    expect(cpfProblem("000.000.000-00")).toBe("repeated");
    expect(cpfProblem("5299822472")).toBe("length");
    expect(cpfProblem("529x982")).toBe("characters");
  });
  test("formats", () => {
    expect(formatCpf("52998224725")).toBe("529.982.247-25");
    expect(maskCpf("5299822")).toBe("529.982.2");
    expect(maskCpf("52998224725")).toBe("529.982.247-25");
  });
});

describe("phones", () => {
  test("DDD + 8 or 9 digits, as the core accepts them", () => {
    for (const ok of ["(11) 98765-4321", "11987654321", "011 98765-4321", "+55 11 98765-4321", "(11) 3456-7890", "+1 415 555 0100"])
      expect([ok, phoneValid(ok)]).toEqual([ok, true]);
    for (const bad of ["98765-4321", "(10) 98765-4321", "(11) 88765-4321", "123", "(11) 1234-5678", "abc"])
      expect([bad, phoneValid(bad)]).toEqual([bad, false]);
  });
  test("formats E.164 for reading and masks while typing", () => {
    expect(formatPhone("+5511987654321")).toBe("(11) 98765-4321");
    expect(formatPhone("+551134567890")).toBe("(11) 3456-7890");
    expect(formatPhone("+14155550100")).toBe("+14155550100");
    expect(maskPhone("11987654321")).toBe("(11) 98765-4321");
    expect(maskPhone("1134567890")).toBe("(11) 3456-7890");
    expect(maskPhone("119")).toBe("(11) 9");
    expect(maskPhone("+44 20")).toBe("+44 20");
  });
});

describe("dates", () => {
  test("birth date DD/MM/AAAA → YYYY-MM-DD, not in the future, not before 1900", () => {
    expect(parseBirthDate("15/03/1980", "2026-11-23")).toEqual({ day: "1980-03-15" });
    expect(parseBirthDate("23/11/2026", "2026-11-23")).toEqual({ day: "2026-11-23" });
    expect(parseBirthDate("24/11/2026", "2026-11-23")).toEqual({ problem: "future" });
    expect(parseBirthDate("31/02/1980", "2026-11-23")).toEqual({ problem: "format" });
    expect(parseBirthDate("1980-03-15", "2026-11-23")).toEqual({ problem: "format" });
    expect(parseBirthDate("01/01/1899", "2026-11-23")).toEqual({ problem: "too_old" });
    expect(maskDate("15031980")).toBe("15/03/1980");
  });
  test("ages, weeks, starts", () => {
    expect(ageOn("1980-11-23", "2026-11-23")).toBe(46);
    expect(ageOn("1980-11-24", "2026-11-23")).toBe(45);
    expect(mondayOf("2026-11-29")).toBe("2026-11-23");
    expect(mondayOf("2026-11-23")).toBe("2026-11-23");
    expect(weekdayOf("2026-11-23")).toBe("seg");
    expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
    expect(parseStart("23/11/2026 9:05")).toBe("2026-11-23 09:05");
    expect(parseStart("2026-11-23T09:00")).toBe("2026-11-23 09:00");
    expect(parseStart("2026-11-31 09:00")).toBeNull();
    expect(todayIn("No/Such_Zone")).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
  test("e-mail and name", () => {
    expect(emailValid("a@b.com.br")).toBe(true);
    expect(emailValid("a@b")).toBe(false);
    expect(emailValid("a b@c.com")).toBe(false);
    expect(nameProblem("  ")).toBe("required");
    expect(nameProblem("123")).toBe("invalid");
    expect(nameProblem("João")).toBeNull();
  });
});

describe("errors", () => {
  test("whatever the shell rejects with becomes an ApiError", () => {
    expect(toApiError({ code: "overlap", message: "m" })).toEqual({ code: "overlap", message: "m" });
    expect(toApiError({ code: "invalid_cpf", message: "m", field: "cpf" })).toEqual({ code: "invalid_cpf", message: "m", field: "cpf" });
    expect(toApiError("boom")).toEqual({ code: "internal", message: "boom" });
    expect(toApiError(new Error("x"))).toEqual({ code: "internal", message: "x" });
  });
  test("patient errors find their field", () => {
    expect(patientErrorField({ code: "invalid_cpf", message: "" })).toBe("cpf");
    expect(patientErrorField({ code: "invalid_name", message: "", field: "social_name" })).toBe("social_name");
    expect(patientErrorField({ code: "invalid_phone", message: "", field: "phone" })).toBe("phones");
    expect(patientErrorField({ code: "internal", message: "" })).toBeNull();
  });
});

describe("agenda layout", () => {
  test("overlapping appointments share a column in lanes", () => {
    const placed = placeInLanes([
      appointment({ id: "a", start: "2026-11-23 09:00", duration_min: 60 }),
      appointment({ id: "b", start: "2026-11-23 09:30", duration_min: 60 }),
      appointment({ id: "c", start: "2026-11-23 10:00" }),
      appointment({ id: "d", start: "2026-11-23 11:00" }),
    ]);
    const by = Object.fromEntries(placed.map((p) => [p.appointment.id, [p.lane, p.lanes]]));
    // c starts when a ends: it takes a's lane, still beside b
    expect(by).toEqual({ a: [0, 2], b: [1, 2], c: [0, 2], d: [0, 1] });
    const apart = placeInLanes([
      appointment({ id: "x", start: "2026-11-23 09:00" }),
      appointment({ id: "y", start: "2026-11-23 09:30" }),
    ]);
    expect(apart.map((p) => p.lanes)).toEqual([1, 1]);
  });
  test("rows span the opening hours, widened for appointments outside them", () => {
    expect(rowSpan(DIRECTORY, ["2026-11-23"], [])).toEqual([480, 1080]);
    expect(rowSpan(DIRECTORY, ["2026-11-28"], [])).toEqual([480, 720]);
    expect(rowSpan(DIRECTORY, ["2026-11-29"], [])).toBeNull();
    expect(rowSpan(DIRECTORY, ["2026-11-29"], [appointment({ id: "x", start: "2026-11-29 10:10" })])).toEqual([600, 645]);
  });
});

describe("i18n", () => {
  function keys(o: object, prefix = ""): string[] {
    return Object.entries(o).flatMap(([k, v]) =>
      typeof v === "object" ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k.replace(/_(zero|one|other)$/, "")}`],
    );
  }
  test("English has every pt-BR key and no other", () => {
    expect([...new Set(keys(en))].sort()).toEqual([...new Set(keys(ptBR))].sort());
  });
  test("every error code of the contract has a pt-BR text", () => {
    const codes =
      "invalid_cpf invalid_phone invalid_birth_date invalid_email invalid_sex invalid_name duplicate_cpf not_found ambiguous overlap outside_hours blocked invalid_duration invalid_date appointment_closed chair_site inactive invalid internal not_synced wrong_password unknown_user login_refused server_unreachable invalid_server no_organization choose_organization locked other_clinic sync invalid_tooth invalid_surface invalid_region unknown_procedure entry_locked note_signed forbidden window_closed empty too_long unknown_template template_params".split(
        " ",
      );
    for (const c of codes) expect([c, typeof (ptBR.errors as Record<string, string>)[c]]).toEqual([c, "string"]);
  });
});

describe("odontogram rules", () => {
  test("FDI teeth, and the faces each one has", () => {
    expect(["11", "18", "48", "51", "55", "85"].every(isTooth)).toBe(true);
    expect(["19", "10", "56", "86", "91", "1", "upper"].some(isTooth)).toBe(false);
    expect(surfacesOf("36")).toEqual(["M", "O", "D", "V", "L"]);
    expect(surfacesOf("11")).toEqual(["M", "I", "D", "V", "P"]);
    expect(surfacesOf("53")).toEqual(["M", "I", "D", "V", "P"]);
    expect(surfacesOf("84")).toEqual(["M", "O", "D", "V", "L"]);
  });
  test("mesial faces the midline; vestibular faces out of the mouth", () => {
    expect([faceAt("16", "left"), faceAt("16", "right"), faceAt("16", "top"), faceAt("16", "bottom")]).toEqual(["D", "M", "V", "P"]);
    expect([faceAt("26", "left"), faceAt("26", "right")]).toEqual(["M", "D"]);
    expect([faceAt("36", "left"), faceAt("36", "right"), faceAt("36", "top"), faceAt("36", "bottom")]).toEqual(["M", "D", "L", "V"]);
    expect([faceAt("46", "left"), faceAt("46", "right")]).toEqual(["D", "M"]);
    expect([faceAt("85", "left"), faceAt("75", "left"), faceAt("11", "centre")]).toEqual(["D", "M", "I"]);
  });
  test("keyboard neighbours", () => {
    expect(neighbour("11", "ArrowRight", ROWS)).toBe("21");
    expect(neighbour("18", "ArrowLeft", ROWS)).toBeNull();
    expect(neighbour("15", "ArrowDown", ROWS)).toBe("55");
    expect(neighbour("11", "ArrowDown", ROWS)).toBe("51");
    expect(neighbour("18", "ArrowDown", ROWS)).toBe("55");
    expect(neighbour("18", "ArrowDown", [ROWS[0], ROWS[3]])).toBe("48");
    expect(neighbour("48", "Home", ROWS)).toBe("48");
    expect(neighbour("48", "End", ROWS)).toBe("38");
    expect(neighbour("18", "ArrowUp", ROWS)).toBeNull();
  });
  test("a procedure fits the teeth of its types", () => {
    const canal = CATALOGUE.procedures.find((p) => p.code === "canal-molar")!;
    const profilaxia = CATALOGUE.procedures.find((p) => p.code === "profilaxia")!;
    const resina = CATALOGUE.procedures.find((p) => p.code === "restauracao-resina")!;
    expect(fitsTooth(canal, "36")).toBe(true);
    expect(fitsTooth(canal, "11")).toBe(false);
    expect(fitsTooth(canal, "75")).toBe(false);
    expect(fitsTooth(profilaxia, "36")).toBe(false);
    expect(fitsTooth(resina, "51")).toBe(true);
    expect(fitsTooth({ ...resina, tooth_types: ["anterior", "deciduous"] }, "51")).toBe(true);
    expect(fitsTooth({ ...resina, tooth_types: ["anterior", "deciduous"] }, "11")).toBe(false);
    expect(fitsTooth({ ...resina, tooth_types: ["deciduous"] }, "11")).toBe(false);
  });
  test("labels", () => {
    const t = i18n.t.bind(i18n);
    expect(regionLabel(t, "36")).toBe("Dente 36");
    expect(regionLabel(t, "Q2")).toBe("Quadrante 2");
    expect(regionLabel(t, "S6")).toBe("Sextante 6");
    expect(regionLabel(t, "mouth")).toBe("Boca toda");
    expect(alertLabel(t, { kind: "allergy", label: "penicilina" })).toBe("Alergia: penicilina");
    expect(alertLabel(t, { kind: "condition", label: "marca-passo" })).toBe("Marca-passo");
    expect(alertLabel(t, { kind: "condition", label: "outra" })).toBe("outra");
    expect(splitList("penicilina, dipirona\n\nlátex;penicilina")).toEqual(["penicilina", "dipirona", "látex"]);
  });
  test("new error codes read in pt-BR", () => {
    const t = i18n.t.bind(i18n);
    expect(errorText(t, { code: "entry_locked", message: "x" })).toMatch(/bloqueado/);
    expect(errorText(t, { code: "note_signed", message: "x" })).toMatch(/adendo/);
    expect(errorText(t, { code: "no_such_code", message: "raw" })).toBe("raw");
  });
});

describe("money", () => {
  test("cents read as reais; typed reais parse to cents", () => {
    expect(formatMoney(123456)).toBe("R$ 1.234,56");
    expect(formatMoney(0)).toBe("R$ 0,00");
    expect(formatMoney(null)).toBe("");
    expect(parseMoney("1.234,56")).toBe(123456);
    expect(parseMoney("R$ 80")).toBe(8000);
    expect(parseMoney("80,5")).toBe(8050);
    expect(parseMoney("1234.56")).toBe(123456);
    expect(parseMoney("1.500")).toBe(150000);
    expect(parseMoney("12,345")).toBeNull();
    expect(parseMoney("abc")).toBeNull();
    expect(parseMoney("")).toBeNull();
  });
});
