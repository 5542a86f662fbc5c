import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { Dialog } from "../src/components/Dialog";

function Harness() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        abrir
      </button>
      {open && (
        <Dialog title="Teste" onClose={() => setOpen(false)}>
          <label htmlFor="a">A</label>
          <input id="a" />
          <button type="button">ok</button>
        </Dialog>
      )}
    </>
  );
}

test("a dialog takes focus, keeps Tab inside, closes on Escape and gives focus back", async () => {
  const user = userEvent.setup();
  render(<Harness />);
  const opener = screen.getByRole("button", { name: "abrir" });
  await user.click(opener);
  const dialog = screen.getByRole("dialog", { name: "Teste" });
  expect(dialog.getAttribute("aria-modal")).toBe("true");
  expect(document.activeElement).toBe(screen.getByLabelText("A"));
  await user.tab();
  expect(document.activeElement).toBe(screen.getByRole("button", { name: "ok" }));
  await user.tab();
  // Tab on the last element wraps to the first (the close button)
  expect(document.activeElement).toBe(screen.getByRole("button", { name: "Fechar" }));
  await user.tab();
  expect(document.activeElement).toBe(screen.getByLabelText("A"));
  await user.tab({ shift: true });
  await user.tab({ shift: true });
  // Shift+Tab on the first element wraps to the last
  expect(document.activeElement).toBe(screen.getByRole("button", { name: "ok" }));
  await user.keyboard("{Escape}");
  expect(screen.queryByRole("dialog")).toBeNull();
  expect(document.activeElement).toBe(opener);
});
