-- Headless Neovim test (test.lua): :GoldcrestBugs puts its findings on screen as diagnostics, and
-- the Goldcrest fix edits the buffer (the code action; :GoldcrestFix with the real model).

return function(t)
  local check, out, wait, request, find_line = t.check, t.out, t.wait, t.request, t.find_line
  local REAL, MODEL_MS, PYTHON, bufnr, goldcrest = t.REAL, t.MODEL_MS, t.PYTHON, t.bufnr, t.goldcrest
  local goldcrest_diagnostic, buf_text = t.goldcrest_diagnostic, t.buf_text
  local pick_code_action, accepted_count = t.pick_code_action, t.accepted_count

  check(":GoldcrestBugs answers; its findings are goldcrest diagnostics", function()
    if not REAL then
      vim.cmd("GoldcrestBugs")
      wait(90000, function() return goldcrest_diagnostic() ~= nil end, "a diagnostic with source goldcrest")
      local d = goldcrest_diagnostic()
      assert(d.lnum == find_line("return total / len(values)"), "diagnostic on line " .. d.lnum .. ": " .. d.message)
      return
    end
    -- the real model, on the lines of mean() only (one unit): it may find nothing, but the
    -- command must complete, and what it reports must be on screen as diagnostics
    vim.cmd(string.format("1,%dGoldcrestBugs", find_line("return total / len(values)") + 1))
    wait(MODEL_MS, function() return goldcrest.last_bugs ~= nil end, "goldcrest.listBugs to answer")
    local bugs = goldcrest.last_bugs
    assert(type(bugs.findings) == "number" and bugs.cancelled == false, "list bugs did not complete: " .. vim.inspect(bugs))
    if bugs.findings > 0 then
      wait(30000, function() return goldcrest_diagnostic() ~= nil end, "a diagnostic with source goldcrest")
    end
    out(string.format("       the model reported %d finding(s)%s", bugs.findings, #(bugs.problems or {}) > 0 and (": " .. table.concat(bugs.problems, "; ")) or ""))
  end)

  check("the Goldcrest fix edits the buffer (the code action; :GoldcrestFix with the real model)", function()
    local diag = goldcrest_diagnostic()
    if REAL then
      -- the real model may list no bug, and may withhold its fix: :GoldcrestFix reports either
      -- (a code action's result is not returned to the client), on the known buggy line
      vim.api.nvim_win_set_cursor(0, { find_line("return total / len(values)") + 1, 4 })
      local before = buf_text(bufnr)
      vim.cmd("GoldcrestFix")
      wait(MODEL_MS, function() return goldcrest.last_fix ~= nil end, ":GoldcrestFix to answer")
      local after = buf_text(bufnr)
      if goldcrest.last_fix.applied then
        assert(after ~= before, "applied, yet the buffer did not change")
        local check_py = vim.fn.system({ PYTHON, "-c", "import ast, sys; ast.parse(sys.stdin.read())" }, after)
        assert(vim.v.shell_error == 0, "the fixed buffer does not parse:\n" .. after .. "\n" .. check_py)
      else
        -- withheld (nothing valid came back): the buffer must be untouched and the user told why,
        -- which is about the model's answer, not about the model never answering
        assert(after == before, "no fix applied, yet the buffer changed")
        assert(goldcrest.last_fix.problem, "no fix and no reason given")
        assert(not goldcrest.last_fix.problem:find("did not answer", 1, true), goldcrest.last_fix.problem)
      end
      out("       fix " .. (goldcrest.last_fix.applied and "applied" or ("withheld: " .. goldcrest.last_fix.problem)))
      return
    end
    assert(diag, "no goldcrest diagnostic to fix")
    vim.api.nvim_win_set_cursor(0, { diag.lnum + 1, diag.col })
    local before = buf_text(bufnr)
    -- the user picks "Goldcrest: Fix …" from the code action menu
    pick_code_action("Goldcrest: Fix")
    wait(90000, function() return buf_text(bufnr) ~= before end, "the fix to change the buffer")
    local text = buf_text(bufnr)
    assert(text:find("if not values:", 1, true), "buffer after fix:\n" .. text)
    -- Neovim ran the action's goldcrest.accepted command after its edit: the server counts it
    local stats
    for _ = 1, 40 do
      stats = request("goldcrest/stats", vim.empty_dict(), 10000)
      if accepted_count(stats, "fix") == 1 then
        return
      end
      vim.wait(250)
    end
    error("applied fixes in goldcrest/stats: " .. vim.inspect(stats.acceptance))
  end)
end
