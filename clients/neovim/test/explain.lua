-- Headless Neovim test (test.lua): :GoldcrestExplain and the Goldcrest: Explain code action show
-- the server's explanation in a float.

return function(t)
  local check, wait, find_line, close_floats = t.check, t.wait, t.find_line, t.close_floats
  local REAL, MODEL_MS, goldcrest, pick_code_action = t.REAL, t.MODEL_MS, t.goldcrest, t.pick_code_action

  check(":GoldcrestExplain shows the server's explanation", function()
    goldcrest.last_explanation = nil
    -- on the name of the function (the server explains the function or class named there)
    vim.api.nvim_win_set_cursor(0, { find_line("def mean(values):") + 1, 5 })
    vim.cmd("GoldcrestExplain")
    wait(MODEL_MS, function() return goldcrest.last_explanation ~= nil end, "the explanation")
    if not REAL then
      assert(goldcrest.last_explanation:find("adds each value", 1, true), goldcrest.last_explanation)
    end
    -- it is on screen in a floating window
    assert(close_floats() > 0, "no floating window")
  end)

  check("the Goldcrest: Explain code action shows the explanation in a float", function()
    goldcrest.last_explanation = nil
    vim.api.nvim_win_set_cursor(0, { find_line("def mean(values):") + 1, 5 })
    pick_code_action("Goldcrest: Explain")
    wait(MODEL_MS, function() return goldcrest.last_explanation ~= nil end, "the explanation")
    assert(close_floats() > 0, "no floating window")
  end)
end
