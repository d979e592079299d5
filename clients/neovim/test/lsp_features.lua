-- Headless Neovim test (test.lua): the LSP features the plugin wires up: a completion item, a
-- suggestion taken from the completion menu (counted by the server), hover, the code actions.

return function(t)
  local check, out, request, find_line = t.check, t.out, t.request, t.find_line
  local REAL, MODEL_MS, bufnr, goldcrest = t.REAL, t.MODEL_MS, t.bufnr, t.goldcrest
  local accepted_count, code_actions_on_mean = t.accepted_count, t.code_actions_on_mean

  check("completion item at `return ` (textDocument/completion)", function()
    local row = find_line("def add(a, b):") + 1
    vim.api.nvim_buf_set_lines(bufnr, row, row + 1, false, { "    return " })
    -- An editor asks again on the next keystroke; so does the test, twice, if the first answer
    -- is empty (the server may drop a request it superseded, e.g. while it indexes the workspace).
    local items = {}
    for attempt = 1, 3 do
      local result = request("textDocument/completion", {
        textDocument = { uri = vim.uri_from_bufnr(bufnr) },
        position = { line = row, character = 11 },
        context = { triggerKind = 1 },
      }, REAL and 150000 or 30000)
      items = result and (result.items or result) or {}
      if #items > 0 then
        if attempt > 1 then
          out("  (completion answered on attempt " .. attempt .. ")")
        end
        break
      end
      vim.wait(500)
    end
    local labels = {}
    for _, item in ipairs(items) do
      local text = (item.textEdit and item.textEdit.newText) or item.insertText or item.label
      table.insert(labels, text)
    end
    if REAL then
      assert(#items > 0, "no completion items")
    else
      local joined = table.concat(labels, " | ")
      assert(joined:find("a + b", 1, true), "items: " .. joined)
    end
    -- put the line back as the fixture has it
    vim.api.nvim_buf_set_lines(bufnr, row, row + 1, false, { "    return a + b" })
  end)

  --- Type `keys` in insert mode at the end of line `row` (0-based) with 'omnifunc' completion open,
  --- then `finish_keys` once the menu shows (or after `ms`, to leave insert mode whatever happens).
  local function complete_from_menu(row, finish_keys, ms)
    vim.api.nvim_win_set_cursor(0, { row + 1, 0 })
    local term = function(k)
      return vim.api.nvim_replace_termcodes(k, true, false, true)
    end
    local t0, shown = vim.loop.now(), false
    local timer = vim.loop.new_timer()
    timer:start(100, 100, vim.schedule_wrap(function()
      if vim.fn.pumvisible() == 1 or vim.loop.now() - t0 > ms then
        shown = vim.fn.pumvisible() == 1
        timer:stop()
        timer:close()
        vim.api.nvim_feedkeys(term(shown and finish_keys or "<C-e><Esc>"), "t", false)
      end
    end))
    -- 'x!': run the keys and stay in insert mode until the timer's keys leave it
    vim.api.nvim_feedkeys(term("A<C-x><C-o>"), "tx!", false)
    return shown
  end

  if not REAL then
    check("a suggestion taken from the completion menu is reported; the server counts it", function()
      local row = find_line("def add(a, b):") + 1
      vim.api.nvim_buf_set_lines(bufnr, row, row + 1, false, { "    return " })
      local completeopt = vim.o.completeopt
      vim.o.completeopt = "menuone" -- the first item is selected (and inserted)
      goldcrest.last_accept = nil
      local shown = complete_from_menu(row, "<C-y><Esc>", 30000)
      vim.o.completeopt = completeopt
      assert(shown, "no completion menu within 30 s")
      local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1]
      assert(line == "    return a + b", "line after the accept: " .. line)
      local sent = goldcrest.last_accept
      assert(sent, "no goldcrest.accepted sent (does the completion item carry the command?)")
      assert(type(sent.id) == "string" and sent.kind == "full" and sent.chars == 5, vim.inspect(sent))
      -- the server counts it, once (goldcrest/stats, over this run's acceptance log)
      local stats = request("goldcrest/stats", vim.empty_dict(), 10000)
      assert(accepted_count(stats, "complete") == 1, "accepted completions in goldcrest/stats: " .. vim.inspect(stats.acceptance))
    end)
  end

  check("hover explains the function under the cursor", function()
    local row = find_line("def mean(values):")
    local result = request("textDocument/hover", {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      position = { line = row, character = 5 },
    }, MODEL_MS)
    assert(result and result.contents, "no hover")
    local value = type(result.contents) == "table" and (result.contents.value or vim.inspect(result.contents)) or tostring(result.contents)
    assert(#vim.trim(value) > 0, "empty hover")
    if not REAL then
      assert(value:find("arithmetic mean", 1, true), "hover: " .. value)
    end
  end)


  check("code actions offer the Goldcrest refactors", function()
    local result = code_actions_on_mean(30000)
    local titles = {}
    for _, a in ipairs(result) do
      table.insert(titles, a.title)
    end
    local joined = table.concat(titles, " | ")
    for _, want in ipairs({
      "Goldcrest: Simplify", "Goldcrest: Add type hints", "Goldcrest: Add docstring",
      "Goldcrest: Explain", "Goldcrest: List bugs in function",
    }) do
      assert(joined:find(want, 1, true), "missing " .. want .. " in: " .. joined)
    end
  end)
end
