import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App } from "../src/App";
import type { SessionState } from "../src/types";
import { backend, baseHandlers, READY, reject } from "./helpers";

const NEW: SessionState = { state: "new", server: null, org_name: null, user: null, known_users: [] };
const LOCKED: SessionState = {
  state: "locked",
  server: "https://sync.sorriso.com.br",
  org_name: "Clínica Sorriso",
  user: null,
  known_users: [
    { user_id: "u-1", email: "recepcao@sorriso.com.br", role: "recepcao", last_login: 1 },
    { user_id: "u-2", email: "ana@sorriso.com.br", role: "clinico", last_login: 2 },
  ],
};

describe("login", () => {
  test("first run: the server is prefilled; signing in shows the clinic", async () => {
    const user = userEvent.setup();
    let release: (s: SessionState) => void = () => undefined;
    const be = backend(
      baseHandlers({
        session: () => NEW,
        login: () => new Promise<SessionState>((r) => (release = r)),
      }),
    );
    render(<App />);

    const server = await screen.findByTestId("login-server");
    expect(server).toHaveProperty("value", "http://127.0.0.1:8787");
    expect(server).toHaveProperty("readOnly", false);
    expect(screen.queryByTestId("unlock-submit")).toBeNull();

    await user.type(screen.getByTestId("login-email"), "recepcao@sorriso.com.br");
    await user.type(screen.getByTestId("login-password"), "uma senha forte");
    await user.click(screen.getByTestId("login-submit"));

    // Pairing and the first sync take a while: progress is shown, the button is off.
    expect(await screen.findByText(/Conectando ao servidor e sincronizando/)).toBeTruthy();
    expect(screen.getByTestId("login-submit")).toHaveProperty("disabled", true);
    expect(be.argsOf("login")).toEqual([
      { server: "http://127.0.0.1:8787", email: "recepcao@sorriso.com.br", password: "uma senha forte" },
    ]);

    release(READY);
    expect(await screen.findByTestId("lock-button")).toBeTruthy();
    expect(screen.getByTestId("org-name").textContent).toBe("Clínica Sorriso");
    expect(screen.getByTestId("current-user").textContent).toContain("recepcao@sorriso.com.br");
    expect(screen.getByTestId("current-user").textContent).toContain("Recepção");
    expect(screen.getByTestId("sync-indicator")).toBeTruthy();
  });

  test("wrong e-mail or password shows the pt-BR message and stays on the form", async () => {
    const user = userEvent.setup();
    backend(
      baseHandlers({
        session: () => NEW,
        login: () => reject("login_refused", "invalid email or password"),
      }),
    );
    render(<App />);
    await user.type(await screen.findByTestId("login-email"), "recepcao@sorriso.com.br");
    await user.type(screen.getByTestId("login-password"), "errada");
    await user.click(screen.getByTestId("login-submit"));

    const error = await screen.findByTestId("login-error");
    expect(error.textContent).toBe("E-mail ou senha incorretos.");
    expect(screen.queryByTestId("lock-button")).toBeNull();
    expect(screen.getByTestId("login-submit")).toHaveProperty("disabled", false);
  });

  test("an unreachable server says so in pt-BR; an unknown code falls back to its message", async () => {
    const user = userEvent.setup();
    let code = "server_unreachable";
    backend(
      baseHandlers({
        session: () => NEW,
        login: () => reject(code, code === "server_unreachable" ? "connection refused" : "algo novo aconteceu"),
      }),
    );
    render(<App />);
    await user.type(await screen.findByTestId("login-email"), "a@b.com.br");
    await user.type(screen.getByTestId("login-password"), "x");
    await user.click(screen.getByTestId("login-submit"));
    expect((await screen.findByTestId("login-error")).textContent).toBe("Não foi possível conectar ao servidor.");

    code = "brand_new_code";
    await user.click(screen.getByTestId("login-submit"));
    await waitFor(() => expect(screen.getByTestId("login-error").textContent).toBe("algo novo aconteceu"));
  });

  test("locked: the server is read-only; offline unlock with a wrong password, then the right one", async () => {
    const user = userEvent.setup();
    const be = backend(
      baseHandlers({
        session: () => LOCKED,
        unlock: (a: { password: string }) => (a.password === "certa" ? READY : reject("wrong_password", "wrong password")),
      }),
    );
    render(<App />);
    const server = await screen.findByTestId("login-server");
    expect(server).toHaveProperty("readOnly", true);
    expect(server).toHaveProperty("value", "https://sync.sorriso.com.br");

    const select = screen.getByTestId("unlock-user") as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(["recepcao@sorriso.com.br", "ana@sorriso.com.br"]);
    await user.selectOptions(select, "ana@sorriso.com.br");
    await user.type(screen.getByTestId("unlock-password"), "errada");
    await user.click(screen.getByTestId("unlock-submit"));
    const error = await screen.findByTestId("login-error");
    expect(error.textContent).toBe("Senha incorreta.");
    expect(error.getAttribute("data-form")).toBe("unlock");
    expect(be.argsOf("unlock")).toEqual([{ email: "ana@sorriso.com.br", password: "errada" }]);

    await user.clear(screen.getByTestId("unlock-password"));
    await user.type(screen.getByTestId("unlock-password"), "certa");
    await user.click(screen.getByTestId("unlock-submit"));
    expect(await screen.findByTestId("lock-button")).toBeTruthy();
  });

  test("locked: signing in again uses the workstation's server", async () => {
    const user = userEvent.setup();
    const be = backend(baseHandlers({ session: () => LOCKED, login: () => READY }));
    render(<App />);
    await user.type(await screen.findByTestId("login-email"), "ana@sorriso.com.br");
    await user.type(screen.getByTestId("login-password"), "senha");
    await user.click(screen.getByTestId("login-submit"));
    await screen.findByTestId("lock-button");
    expect(be.argsOf("login")[0]).toEqual({
      server: "https://sync.sorriso.com.br",
      email: "ana@sorriso.com.br",
      password: "senha",
    });
  });

  test("Bloquear locks the workstation and shows the login again", async () => {
    const user = userEvent.setup();
    const be = backend(baseHandlers({ lock: () => LOCKED }));
    render(<App />);
    await user.click(await screen.findByTestId("lock-button"));
    expect(await screen.findByTestId("unlock-submit")).toBeTruthy();
    expect(be.argsOf("lock")).toHaveLength(1);
  });
});
